"""`tidings site` in five languages: each language's pages, their lang, alternates and switcher,
an untranslated item under both settings, the repeat sentence, feeds and calendars per language,
the embargo across languages and the nav of each language.

Real `mkdocs build` on a repo made with make_repo (tests/site_staged_support.py).
"""

from __future__ import annotations

import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PYPROJECT, MakeRepo, write_files
from tests.site_staged_support import (
    LANGUAGES,
    LAUNCH_DAY,
    RULE,
    SITE_URL,
    TITLES,
    T,
    build,
    files,
    pyproject,
)
from tidings.config import load_config
from tidings.content import load
from tidings.embargo import public_view
from tidings.errors import ConfigError
from tidings.labels import Text
from tidings.site.engine import build_site
from tidings.site.fingerprint import view_fingerprint
from tidings.site.languages import with_alternates
from tidings.site.markdown_text import front_matter_text
from tidings.site.stage import stage

PREFIX = {lang: "" if lang == "en" else f"{lang}/" for lang in LANGUAGES}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("five")
    return build(lambda f, **kw: _repo(root, f, **kw), "shown")


def _repo(base: Path, found: dict[str, str], *, pyproject: str, name: str) -> Path:
    root = base / name
    root.mkdir()
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    write_files(root, found)
    return root


class Page(HTMLParser):
    """What the tests read from a built page: <html lang>, hreflang links, switcher and nav links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang = ""
        self.hreflang: dict[str, str] = {}
        self.switcher: dict[str, str] = {}
        self.nav: list[str] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "link" and a.get("rel") == "alternate" and "hreflang" in a:
            self.hreflang[a["hreflang"]] = a["href"]
        elif tag == "a" and "md-select__link" in classes:
            self.switcher[a["hreflang"]] = a["href"]
        elif tag == "a" and ({"md-nav__link", "md-tabs__link"} & set(classes)):
            self.nav.append(a.get("href", ""))
        elif tag == "a":
            self.links.append(a.get("href", ""))


def page(site: Path, url: str) -> Page:
    return Page((site / url / "index.html").read_text(encoding="utf-8"))


def text_of(site: Path, url: str) -> str:
    html = (site / url / "index.html").read_text(encoding="utf-8")
    article = html[html.find("<article"):html.find("</article>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article)).replace("&para;", "")


def resolve(url: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(url, href)) + "/"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_its_pages_each_with_its_own_html_lang(site: Path, lang: str) -> None:
    for url in ("", "announcements/", "announcements/tern-4-0/", "events/", "events/monthly-call/",
                "subscribe/", "announcements/archive/2026/", "announcements/tags/release/"):
        assert page(site, PREFIX[lang] + url).lang == lang, PREFIX[lang] + url


def test_a_translated_page_lists_every_language_version_as_hreflang_and_in_the_switcher(site: Path) -> None:
    here = "fi/announcements/tern-4-0/"
    finnish = page(site, here)
    expected = {lang: f"{SITE_URL}{PREFIX[lang]}announcements/tern-4-0/" for lang in LANGUAGES}
    assert finnish.hreflang == {**expected, "x-default": expected["en"]}
    assert {lang: resolve(here, href) for lang, href in finnish.switcher.items()} == {
        lang: f"{PREFIX[lang]}announcements/tern-4-0/" for lang in LANGUAGES}


def test_a_link_in_a_finnish_text_to_another_item_leads_to_its_finnish_page(site: Path) -> None:
    here = "fi/announcements/tern-4-0/"
    targets = {resolve(here, href) for href in page(site, here).links if not href.startswith(("#", "http"))}
    assert "fi/events/monthly-call/" in targets


def test_index_pages_have_alternates_too(site: Path) -> None:
    events = page(site, "de/events/")
    assert events.hreflang["el"] == SITE_URL + "el/events/"
    assert page(site, "zh/").hreflang["en"] == SITE_URL


def test_the_finnish_news_index_links_finnish_pages_and_untranslated_ones_with_a_note(site: Path) -> None:
    index = page(site, "fi/announcements/")
    targets = {resolve("fi/announcements/", href) for href in index.links if not href.startswith("#")}
    assert "fi/announcements/tern-4-0/" in targets
    assert "announcements/only-english/" in targets  # its own, English page
    assert "el/announcements/kreikka/" in targets
    words = text_of(site, "fi/announcements/")
    assert "Only in English (kieli: englanti)" in words
    assert TITLES["fi"] in words and TITLES["en"] not in words


def test_an_untranslated_item_is_never_staged_again_with_another_languages_chrome(site: Path) -> None:
    assert page(site, "announcements/only-english/").lang == "en"
    for lang in LANGUAGES[1:]:
        assert not (site / lang / "announcements" / "only-english").exists()
    assert not (site / "announcements" / "kreikka").exists()
    assert page(site, "el/announcements/kreikka/").lang == "el"


def test_a_page_in_one_language_only_announces_no_alternates_and_switches_to_each_home(site: Path) -> None:
    english_only = page(site, "announcements/only-english/")
    assert "fi" not in english_only.hreflang
    here = "announcements/only-english/"
    targets = {lang: resolve(here, href) for lang, href in english_only.switcher.items()}
    assert targets == {lang: PREFIX[lang] or "./" for lang in LANGUAGES}


def test_the_english_home_names_the_greek_only_item_in_english(site: Path) -> None:
    assert "Μόνο στα ελληνικά (in Greek)" in text_of(site, "")


def test_untranslated_hide_leaves_the_item_out_of_other_languages(make_repo: MakeRepo) -> None:
    hidden = build(make_repo, "hidden", untranslated="hide")
    assert "Only in English" not in text_of(hidden, "fi/announcements/")
    assert "Only in English" not in text_of(hidden, "fi/")
    assert "Μόνο στα ελληνικά" not in text_of(hidden, "announcements/")
    assert page(hidden, "announcements/only-english/").lang == "en"
    assert page(hidden, "el/announcements/kreikka/").lang == "el"


def test_an_unknown_untranslated_setting_is_reported_with_its_line(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject=pyproject("skip"))
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    [problem] = caught.value.problems
    assert problem.path == "pyproject.toml" and problem.field == "untranslated"
    assert problem.line == pyproject("skip").splitlines().index('untranslated = "skip"') + 1
    assert '"show" or "hide"' in problem.message


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_events_page_says_the_repeat_sentence_in_its_language(site: Path, lang: str) -> None:
    sentence = Text(lang).repeats(RULE, ZoneInfo("Europe/Helsinki"))
    words = text_of(site, PREFIX[lang] + "events/")
    assert (sentence[0].upper() + sentence[1:]) in words
    assert RULE not in words


@pytest.mark.parametrize("lang", LANGUAGES)
def test_feeds_exist_per_language_with_their_language_and_their_items(site: Path, lang: str) -> None:
    rss = feedparser.parse((site / f"{PREFIX[lang]}feed.xml").read_bytes())
    atom = feedparser.parse((site / f"{PREFIX[lang]}atom.xml").read_bytes())
    assert not rss.bozo and not atom.bozo
    assert rss.feed.language == lang
    assert atom.feed.language == lang
    link = f"{SITE_URL}{PREFIX[lang]}announcements/tern-4-0/"
    assert [e.title for e in rss.entries if e.link == link] == [TITLES[lang]]
    assert [e.title for e in atom.entries if e.link == link] == [TITLES[lang]]
    assert rss.feed.link == f"{SITE_URL}{PREFIX[lang]}announcements/"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_calendars_exist_per_language_and_each_event_page_links_its_own(site: Path, lang: str) -> None:
    calendar = icalendar.Calendar.from_ical((site / f"{PREFIX[lang]}events.ics").read_bytes())
    assert calendar["X-WR-CALNAME"].params["LANGUAGE"] == lang
    [event] = calendar.walk("VEVENT")
    assert event["SUMMARY"].params["LANGUAGE"] == lang
    assert str(event["URL"]) == f"{SITE_URL}{PREFIX[lang]}events/monthly-call/"
    here = f"{PREFIX[lang]}events/monthly-call/"
    ics = [href for href in page(site, here).links if href.endswith(".ics")]
    assert [posixpath.normpath(posixpath.join(here, href)) for href in ics] == [
        f"{PREFIX[lang]}events/monthly-call.ics"]
    own = icalendar.Calendar.from_ical((site / f"{PREFIX[lang]}events/monthly-call.ics").read_bytes())
    [same] = own.walk("VEVENT")
    assert str(same["SUMMARY"]) == str(event["SUMMARY"])


def test_a_picture_only_a_future_translation_uses_stays_out_until_it_is_public(make_repo: MakeRepo) -> None:
    before = build(make_repo, "before")
    assert not (before / "assets" / "secret.png").exists()
    assert not (before / "fi" / "announcements" / "launch").exists()
    after = build(make_repo, "after", as_of=LAUNCH_DAY)
    assert (after / "assets" / "secret.png").exists()
    assert page(after, "fi/announcements/launch/").lang == "fi"


def test_a_picture_of_a_draft_translation_stays_out_though_its_source_is_public(make_repo: MakeRepo) -> None:
    found = files()
    found["content/announcements/only-english.fi.md"] = (
        "---\ntitle: Vain luonnos\ndraft: true\n---\n![Kuva](../../assets/draft.png)\n")
    found["assets/draft.png"] = "not really a picture"
    root = make_repo(found, pyproject=pyproject(), name="draft")
    site = build_site(root, T).site_dir
    assert not (site / "assets" / "draft.png").exists()
    assert "Only in English" in text_of(site, "fi/announcements/")  # the English version stands in


def test_the_if_changed_fingerprint_sees_a_change_in_any_language(make_repo: MakeRepo) -> None:
    root = make_repo(files(), pyproject=pyproject(), name="fingerprint")
    first = view_fingerprint(root, T)
    greek = root / "content" / "announcements" / "tern-4-0.el.md"
    greek.write_text(greek.read_text(encoding="utf-8").replace("νέα", "καινούργια"), encoding="utf-8")
    assert view_fingerprint(root, T) != first


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_shows_only_its_own_navigation(site: Path, lang: str) -> None:
    here = f"{PREFIX[lang]}announcements/tern-4-0/"
    targets = {resolve(here, href) for href in page(site, here).nav if not href.startswith("#")}
    assert f"{PREFIX[lang]}events/" in targets and f"{PREFIX[lang]}subscribe/" in targets
    others = [p for code, p in PREFIX.items() if code != lang and p]
    assert not [t for t in targets if any(t.startswith(p) for p in others)]
    if lang != "en":
        assert all(t.startswith(PREFIX[lang]) for t in targets), targets


def test_a_one_language_community_stages_no_language_front_matter_nor_language_folders(
        make_repo: MakeRepo, tmp_path: Path) -> None:
    one = {name: text for name, text in files().items() if name.count(".") == 1 or name.startswith("assets")}
    root = make_repo(one, pyproject=PYPROJECT)
    stage(public_view(load(root), T), tmp_path / "stage", tmp_path / "site")
    staged = {p.relative_to(tmp_path / "stage" / "docs").as_posix(): p
              for p in (tmp_path / "stage" / "docs").rglob("*.md")}
    assert "announcements/tern-4-0.md" in staged
    assert not [name for name in staged if name.split("/")[0] in LANGUAGES]
    assert not [name for name, p in staged.items() if "\nalternates:" in p.read_text(encoding="utf-8")]
    assert (tmp_path / "stage" / "docs" / "feed.xml").is_file()


@settings(max_examples=100, deadline=None)
@given(title=st.text(), body=st.text())
def test_lang_and_alternates_join_any_page_front_matter_and_leave_the_rest_as_written(
        title: str, body: str) -> None:
    original = front_matter_text({"title": title}) + body
    staged = with_alternates({"fi/news/x.md": original, "news/x.md": original}, LANGUAGES)
    for name, lang in (("fi/news/x.md", "fi"), ("news/x.md", "en")):
        text = staged[name]
        assert isinstance(text, str)
        head, rest = text.removeprefix("---\n").split("\n---\n\n", 1)
        assert yaml.safe_load(head) == {"lang": lang, "title": title, "alternates": [
            {"lang": "en", "url": "news/x/"}, {"lang": "fi", "url": "fi/news/x/"}]}
        assert rest == body
