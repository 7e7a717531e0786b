"""Per-language words of the recurrence sentence: babel's day and month names, hand-written
ordinals, lists and cases (Finnish essive, German dative, Greek articles, Chinese measure words)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date, format_skeleton, get_day_names, get_month_names


class Grammar:
    """English; each other language sets its words and overrides the forms that differ."""

    language = "en"
    space = " "
    every_one = {"DAILY": "every day", "WEEKLY": "every week", "MONTHLY": "every month",
                 "YEARLY": "every year"}
    every_n = {"DAILY": "every {n} days", "WEEKLY": "every {n} weeks", "MONTHLY": "every {n} months",
               "YEARLY": "every {n} years"}
    ordinals = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last",
                -2: "second to last"}
    and_word, comma = " and ", ", "
    on_word, in_word, date_word = "on ", "in ", "on "
    times_one, times_n, until_text = ", once", ", {n} times", ", until {date}"

    def day_name(self, day: int) -> str:
        """Babel's stand-alone name of a weekday (0 = Monday)."""
        return str(get_day_names("wide", context="stand-alone", locale=self.language)[day])

    def month_name(self, month: int) -> str:
        return str(get_month_names("wide", context="stand-alone", locale=self.language)[month])

    def join(self, head: str, tail: str) -> str:
        return f"{head}{self.space}{tail}"

    def listing(self, words: list[str]) -> str:
        """``A, B and C``."""
        if len(words) < 3:
            return self.and_word.join(words)
        return self.comma.join(words[:-1]) + self.and_word + words[-1]

    def every(self, freq: str, interval: int) -> str:
        return self.every_one[freq] if interval == 1 else self.every_n[freq].format(n=interval)

    def weekday(self, day: int) -> str:
        """A weekday in a list of the days of every week."""
        return self.day_name(day)

    def nth(self, ordinal: int | None, day: int) -> str:
        return f"the {self.ordinals[ordinal]} {self.day_name(day)}" if ordinal else self.day_name(day)

    def month_day(self, day: int) -> str:
        """Day ``day`` of the month; -1 is the last (other counts from the end are not said)."""
        return "the last day" if day == -1 else f"day {day}"

    def month_in(self, month: int) -> str:
        return self.month_name(month)

    def on_weekdays(self, days: list[int]) -> str:
        return self.on_word + self.listing([self.weekday(d) for d in days])

    def on_nth_weekdays(self, days: list[tuple[int | None, int]]) -> str:
        return self.on_word + self.listing([self.nth(o, d) for o, d in days])

    def on_month_days(self, days: list[int]) -> str:
        return self.on_word + self.listing([self.month_day(d) for d in days])

    def in_months(self, months: list[int]) -> str:
        return self.in_word + self.listing([self.month_in(m) for m in months])

    def on_date(self, month: int, day: int) -> str:
        # 2024 is a leap year, so 29 February can be written.
        return self.date_word + str(format_skeleton("MMMMd", date(2024, month, day), locale=self.language))

    def times(self, count: int) -> str:
        return self.times_one if count == 1 else self.times_n.format(n=count)

    def until(self, day: date) -> str:
        return self.until_text.format(date=format_date(day, format="long", locale=self.language))


class Finnish(Grammar):
    language = "fi"
    every_one = {"DAILY": "joka päivä", "WEEKLY": "joka viikko", "MONTHLY": "joka kuukausi",
                 "YEARLY": "joka vuosi"}
    every_n = {"DAILY": "{n} päivän välein", "WEEKLY": "{n} viikon välein",
               "MONTHLY": "{n} kuukauden välein", "YEARLY": "{n} vuoden välein"}
    # Essive ("on the first Thursday" = "ensimmäisenä torstaina").
    ordinals = {1: "ensimmäisenä", 2: "toisena", 3: "kolmantena", 4: "neljäntenä", 5: "viidentenä",
                -1: "viimeisenä", -2: "toiseksi viimeisenä"}
    and_word = " ja "
    on_word, in_word, date_word = "", "", ""
    times_one, times_n, until_text = ", kerran", ", {n} kertaa", ", {date} asti"

    def weekday(self, day: int) -> str:
        # "tiistaisin": the plural adverb of a habit; keskiviikko → keskiviikkoisin.
        name = self.day_name(day)
        return name + ("isin" if name.endswith("o") else "sin")

    def nth(self, ordinal: int | None, day: int) -> str:
        name = str(get_day_names("wide", context="format", locale="fi")[day])  # essive: torstaina
        return f"{self.ordinals[ordinal]} {name}" if ordinal else name

    def month_day(self, day: int) -> str:
        return "viimeisenä päivänä" if day == -1 else f"{day}. päivänä"

    def month_in(self, month: int) -> str:
        return self.month_name(month) + "ssa"  # kesäkuu → kesäkuussa


class German(Grammar):
    language = "de"
    every_one = {"DAILY": "jeden Tag", "WEEKLY": "jede Woche", "MONTHLY": "jeden Monat",
                 "YEARLY": "jedes Jahr"}
    every_n = {"DAILY": "alle {n} Tage", "WEEKLY": "alle {n} Wochen", "MONTHLY": "alle {n} Monate",
               "YEARLY": "alle {n} Jahre"}
    ordinals = {1: "ersten", 2: "zweiten", 3: "dritten", 4: "vierten", 5: "fünften", -1: "letzten",
                -2: "vorletzten"}
    and_word = " und "
    on_word, in_word, date_word = "am ", "im ", "am "
    times_one, times_n, until_text = ", einmal", ", {n}-mal", ", bis {date}"

    def nth(self, ordinal: int | None, day: int) -> str:
        return f"{self.ordinals[ordinal]} {self.day_name(day)}" if ordinal else self.day_name(day)

    def month_day(self, day: int) -> str:
        return "letzten Tag" if day == -1 else f"{day}."


SATURDAY = 5


class Greek(Grammar):
    language = "el"
    every_one = {"DAILY": "κάθε μέρα", "WEEKLY": "κάθε εβδομάδα", "MONTHLY": "κάθε μήνα",
                 "YEARLY": "κάθε χρόνο"}
    every_n = {"DAILY": "κάθε {n} ημέρες", "WEEKLY": "κάθε {n} εβδομάδες", "MONTHLY": "κάθε {n} μήνες",
               "YEARLY": "κάθε {n} χρόνια"}
    # Feminine accusative; Σάββατο is neuter.
    ordinals = {1: "πρώτη", 2: "δεύτερη", 3: "τρίτη", 4: "τέταρτη", 5: "πέμπτη", -1: "τελευταία",
                -2: "προτελευταία"}
    neuter = {1: "πρώτο", 2: "δεύτερο", 3: "τρίτο", 4: "τέταρτο", 5: "πέμπτο", -1: "τελευταίο",
              -2: "προτελευταίο"}
    and_word = " και "
    on_word, in_word, date_word = "", "", "στις "
    times_one, times_n, until_text = ", 1 φορά", ", {n} φορές", ", έως τις {date}"

    @staticmethod
    def article(word: str, neuter: bool) -> str:
        """το / την / τη: the final ν stays before a vowel and κ, π, τ, ξ, ψ, μπ, ντ, γκ."""
        if neuter:
            return f"το {word}"
        keeps_n = word[:1].lower() in "αάεέηήιίοόυύωώκπτξψ" or word[:2].lower() in ("μπ", "ντ", "γκ")
        return f"{'την' if keeps_n else 'τη'} {word}"

    def weekday(self, day: int) -> str:
        return self.article(self.day_name(day), day == SATURDAY)

    def nth(self, ordinal: int | None, day: int) -> str:
        if not ordinal:
            return self.weekday(day)
        word = (self.neuter if day == SATURDAY else self.ordinals)[ordinal]
        return self.article(f"{word} {self.day_name(day)}", day == SATURDAY)

    def month_day(self, day: int) -> str:
        return "την τελευταία ημέρα" if day == -1 else f"στις {day}"

    def month_in(self, month: int) -> str:
        # Accusative of the stand-alone name: Ιούνιος → τον Ιούνιο.
        return f"τον {self.month_name(month).removesuffix('ς')}"


class Chinese(Grammar):
    language = "zh"
    space = ""
    every_one = {"DAILY": "每天", "WEEKLY": "每周", "MONTHLY": "每月", "YEARLY": "每年"}
    every_n = {"DAILY": "每{n}天", "WEEKLY": "每{n}周", "MONTHLY": "每{n}个月", "YEARLY": "每{n}年"}
    ordinals = {1: "第一个", 2: "第二个", 3: "第三个", 4: "第四个", 5: "第五个", -1: "最后一个",
                -2: "倒数第二个"}
    and_word, comma = "和", "、"
    on_word, in_word, date_word = "", "", ""
    times_one, times_n, until_text = "，共1次", "，共{n}次", "，直到{date}"

    def nth(self, ordinal: int | None, day: int) -> str:
        return f"{self.ordinals[ordinal]}{self.day_name(day)}" if ordinal else self.day_name(day)

    def month_day(self, day: int) -> str:
        return "最后一天" if day == -1 else f"{day}日"

    def month_in(self, month: int) -> str:
        return f"{month}月"


GRAMMARS: dict[str, Grammar] = {g.language: g for g in (Grammar(), Finnish(), German(), Greek(), Chinese())}
