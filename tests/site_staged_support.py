"""A community in five languages, with translations, built by `tidings site` (real mkdocs build)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import PYPROJECT, MakeRepo
from tidings.site.engine import build_site

LANGUAGES = ("en", "fi", "de", "el", "zh")
SITE_URL = "https://club.example.org/"
T = datetime(2026, 11, 30, 12, tzinfo=UTC)
LAUNCH_DAY = datetime(2026, 12, 20, 12, tzinfo=UTC)
GREEK_WORD = "θαλασσοπούλια"  # only in the Greek version of the release news
CHINESE_WORD = "观察"  # inside a sentence without spaces, only in the Chinese version
RULE = "FREQ=MONTHLY;BYDAY=1TH"


def pyproject(untranslated: str | None = None) -> str:
    extra = 'languages = ["en", "fi", "de", "el", "zh"]\n'
    if untranslated:
        extra += f'untranslated = "{untranslated}"\n'
    return PYPROJECT.replace("[tool.tidings]\n", "[tool.tidings]\n" + extra, 1)


def _news(title: str, body: str, head: str = "") -> str:
    return f"---\ntitle: {title}\n{head}---\n{body}\n"


TITLES = {"en": "Tern 4.0 is out", "fi": "Tern 4.0 on julkaistu", "de": "Tern 4.0 ist da",
          "el": "Το Tern 4.0 κυκλοφόρησε", "zh": "Tern 4.0 发布了"}
BODIES = {"en": "The new version.", "de": "Die neue Version.",
          "fi": "Uusi versio. Kerro siitä [kuukausipuhelussa](../events/monthly-call.md).",
          "el": f"Η νέα έκδοση για όσους παρατηρούν {GREEK_WORD}.",
          "zh": "新版本让海鸟观察活动更方便。"}
EVENT_TITLES = {"en": "Monthly call", "fi": "Kuukausipuhelu", "de": "Monatlicher Anruf",
                "el": "Μηνιαία κλήση", "zh": "每月通话"}


def files() -> dict[str, str]:
    """Content in five languages: a translated item, an English-only one, a Greek-only one,
    a repeating event in every language and a future item whose Finnish version has a picture."""
    found: dict[str, str] = {}
    for lang in LANGUAGES:
        suffix = "" if lang == "en" else f".{lang}"
        head = "date: 2026-11-20 10:00\ntags: [release]\n" if lang == "en" else ""
        found[f"content/announcements/tern-4-0{suffix}.md"] = _news(TITLES[lang], BODIES[lang], head)
        event_head = (f"start: 2026-12-03 18:00\nduration: PT1H\nrepeat: {RULE}\ndate: 2026-11-01\n"
                      if lang == "en" else "")
        found[f"content/events/monthly-call{suffix}.md"] = _news(EVENT_TITLES[lang], "Join us.", event_head)
    found["content/announcements/only-english.md"] = _news("Only in English", "Words.",
                                                           "date: 2026-11-21 10:00\n")
    found["content/announcements/kreikka.el.md"] = _news("Μόνο στα ελληνικά", "Λέξεις.",
                                                         "date: 2026-11-22 10:00\n")
    found["content/announcements/launch.md"] = _news("Launch", "Soon.", "date: 2026-12-20 10:00\n")
    found["content/announcements/launch.fi.md"] = _news(
        "Julkaisu", "Pian.\n\n![Kuva](../../assets/secret.png)")
    found["assets/secret.png"] = "not really a picture"
    return found


def build(make_repo: MakeRepo, name: str, *, untranslated: str | None = None,
          as_of: datetime = T) -> Path:
    """The repo built as of ``as_of``; the site directory."""
    root = make_repo(files(), pyproject=pyproject(untranslated), name=name)
    return build_site(root, as_of).site_dir
