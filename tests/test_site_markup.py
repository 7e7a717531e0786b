"""The site's own markup: heading anchors in any script, heading order, and links that resolve.

Each test builds a small community in tmp_path with a real `mkdocs build` and reads the HTML,
feeds, sitemap and calendar it wrote (the browser checks live in tests/test_accessibility.py).
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import icalendar
import pytest

from tests.conftest import REPO_ROOT, MakeRepo
from tidings.site.engine import build_site

AS_OF = datetime(2026, 11, 23, 12, tzinfo=UTC)
EXAMPLE_AS_OF = datetime(2026, 11, 23, 12, tzinfo=UTC)  # the instant the browser tests use
SITE_URL = "https://club.example.org/"

UNICODE_REPO = {
    "content/announcements/καλωσόρισμα.md": """
        ---
        title: Καλωσόρισμα στην κοινότητα
        date: 2026-11-01
        tags: [ελληνικά]
        authors: [Ελένη]
        ---
        Γεια σας.
        """,
    "content/announcements/欢迎.md": """
        ---
        title: 欢迎来到社区
        date: 2026-11-02
        ---
        你好。
        """,
    "content/announcements/café-talk.md": """
        ---
        title: Café talk
        date: 2026-11-03
        ---
        Coffee and maps.
        """,
    "content/events/συνάντηση.md": """
        ---
        title: Συνάντηση
        start: 2026-12-03T18:00
        duration: PT1H
        ---
        Online.
        """,
}


class Headings(HTMLParser):
    """Collects (level, id, text) of h1–h6 inside the page's <article> (the generated content)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str, str]] = []
        self._article = 0
        self._open: tuple[int, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self._article += 1
        elif self._article and re.fullmatch(r"h[1-6]", tag):
            self._open, self._text = (int(tag[1]), dict(attrs).get("id") or ""), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._article -= 1
        elif self._open and tag == f"h{self._open[0]}":
            self.found.append((*self._open, "".join(self._text).replace("¶", "").strip()))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)


def headings(html_file: Path) -> list[tuple[int, str, str]]:
    parser = Headings()
    parser.feed(html_file.read_text(encoding="utf-8"))
    return parser.found


def heading_ids(html_file: Path) -> dict[str, str]:
    return {text: anchor for _, anchor, text in headings(html_file)}


def built_file(site: Path, url: str) -> Path:
    """The file a site URL is served from (directory URLs end in index.html)."""
    assert url.startswith(SITE_URL), url
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)[len("/"):]
    target = site / path
    return target / "index.html" if url.endswith("/") else target


def sitemap_locs(site: Path) -> set[str]:
    return set(re.findall(r"<loc>(.*?)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8")))


@pytest.fixture
def unicode_site(make_repo: MakeRepo) -> Path:
    root = make_repo(UNICODE_REPO)
    return build_site(root, AS_OF, root / "site").site_dir


def test_greek_and_chinese_headings_get_readable_anchors_that_stay_put(make_repo: MakeRepo) -> None:
    about = """
        ---
        title: About
        ---
        {extra}## Καλωσόρισμα

        ## 欢迎

        ## Café
        """
    root = make_repo({"content/pages/about.md": about.format(extra="")})
    first = heading_ids(build_site(root, AS_OF, root / "one").site_dir / "about" / "index.html")
    assert first["Καλωσόρισμα"] == "καλωσόρισμα"
    assert first["欢迎"] == "欢迎"
    assert first["Café"] == "café"

    # A heading added above (itself with no Latin letters) must not move the others' anchors.
    (root / "content/pages/about.md").write_text(
        re.sub(r"\n {8}", "\n", about.format(extra="## Ειδήσεις\n\n")).lstrip("\n"), encoding="utf-8")
    second = heading_ids(build_site(root, AS_OF, root / "two").site_dir / "about" / "index.html")
    assert second["Ειδήσεις"] == "ειδήσεις"
    assert {k: second[k] for k in first} == first


def test_feed_links_are_percent_encoded_like_the_sitemap_and_resolve(unicode_site: Path) -> None:
    locs = sitemap_locs(unicode_site)
    for name in ("feed.xml", "atom.xml"):
        raw = (unicode_site / name).read_bytes()
        feed = feedparser.parse(raw)
        assert not feed.bozo, f"{name}: {feed.bozo_exception}"
        assert len(feed.entries) == 3, name
        links = [feed.feed.link] + [link.href for e in feed.entries for link in e.links]
        links += [e.id for e in feed.entries]
        for link in links:
            if link.endswith(".xml"):
                continue  # the feed's own self link
            assert link.isascii(), f"{name}: {link!r} is not percent-encoded"
            assert built_file(unicode_site, link).is_file(), f"{name}: {link} resolves to no file"
        pages = {e.link for e in feed.entries}
        assert pages <= locs, f"{name} and sitemap.xml spell these differently: {pages - locs}"


def test_calendar_links_are_percent_encoded_and_resolve(unicode_site: Path) -> None:
    locs = sitemap_locs(unicode_site)
    for ics in (unicode_site / "events.ics", unicode_site / "events" / "συνάντηση.ics"):
        calendar = icalendar.Calendar.from_ical(ics.read_bytes())
        urls = [str(event["URL"]) for event in calendar.walk("VEVENT")]
        assert urls, f"{ics.name} has no event URL"
        for url in urls:
            assert url.isascii(), f"{ics.name}: {url!r} is not percent-encoded"
            assert url in locs, f"{ics.name}: {url} is not in the sitemap"


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's example community (every kind of page), built at a fixed instant."""
    return build_site(REPO_ROOT, EXAMPLE_AS_OF, tmp_path_factory.mktemp("example") / "site").site_dir


@pytest.mark.parametrize("which", ["unicode_site", "example_site"])
def test_no_generated_page_skips_a_heading_level(which: str, request: pytest.FixtureRequest) -> None:
    site: Path = request.getfixturevalue(which)
    skipped = []
    for page in sorted(site.rglob("index.html")):
        levels = [level for level, _, _ in headings(page)]
        for before, after in zip(levels, levels[1:], strict=False):
            if after > before + 1:
                skipped.append(f"{page.relative_to(site)}: h{before} → h{after}")
        if levels and levels[0] != 1:
            skipped.append(f"{page.relative_to(site)}: starts at h{levels[0]}")
    assert not skipped, "headings skip a level:\n" + "\n".join(skipped)


def test_a_greek_rule_takes_the_id_check_suggests_and_keeps_it_as_its_anchor(make_repo: MakeRepo) -> None:
    from tidings.content import check

    rules = "---\ntitle: Κανόνες\n---\n## Να είστε ευγενικοί{id}\n\nΚείμενο.\n"
    root = make_repo({})
    (root / "guidelines").mkdir()
    (root / "guidelines/kanones.md").write_text(rules.format(id=""), encoding="utf-8")
    _, found = check(root)
    suggested = re.search(r"write '## Να είστε ευγενικοί (\{#[^}]+\})'", str(found))
    assert suggested, found
    (root / "guidelines/kanones.md").write_text(rules.format(id=" " + suggested.group(1)), encoding="utf-8")
    _, found = check(root)
    assert not found, f"check refuses the id it suggested: {found}"
    site = build_site(root, AS_OF, root / "site").site_dir
    ids = heading_ids(site / "guidelines" / "kanones" / "index.html")
    assert ids["Να είστε ευγενικοί"] == "να-είστε-ευγενικοί"


@pytest.mark.parametrize("anchor", ["να-είστε", "%CE%BD%CE%B1-%CE%B5%CE%AF%CF%83%CF%84%CE%B5"])
def test_a_rule_link_is_encoded_once_whether_written_raw_or_already_encoded(
    anchor: str, make_repo: MakeRepo
) -> None:
    from tidings.content import load
    from tidings.urls import page_url

    root = make_repo({"guidelines/κανόνες.md": "---\ntitle: Κανόνες\n---\n## Να είστε {#να-είστε}\n"})
    community = load(root)
    assert page_url(community.config, community.guidelines[0], anchor) == (
        "https://club.example.org/guidelines/%CE%BA%CE%B1%CE%BD%CF%8C%CE%BD%CE%B5%CF%82/"
        "#%CE%BD%CE%B1-%CE%B5%CE%AF%CF%83%CF%84%CE%B5")
