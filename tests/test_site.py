"""The public site: built by a real `mkdocs build`, embargo-safe, atomic and deterministic."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest

from tests.conftest import MakeRepo
from tidings.errors import BuildError, ContentError
from tidings.site.engine import build_site

BEFORE = datetime(2026, 11, 23, 12, tzinfo=UTC)
AFTER = datetime(2027, 3, 1, 12, tzinfo=UTC)

EMBARGO_REPO = {
    "content/announcements/public-news.md": """
        ---
        title: Public news
        date: 2026-11-01
        tags: [news]
        authors: [Aino]
        ---
        Soon there will be [big news](embargoed-zebracanary.md) and a
        [video call](../events/zebracanary-call.md).
        """,
    "content/announcements/embargoed-zebracanary.md": """
        ---
        title: Zebracanary announcement
        date: 2027-01-14T10:00
        summary: The zebracanary summary.
        tags: [zebracanary-tag]
        authors: [Zebracanary Author]
        image: assets/zebracanary.svg
        ---
        The zebracanary body.
        """,
    "content/announcements/draft-zebracanary.md": """
        ---
        title: Draft zebracanary
        date: 2026-01-01
        draft: true
        ---
        Draft zebracanary body.
        """,
    "content/stories/zebracanary-story.md": """
        ---
        title: Zebracanary story
        date: 2027-01-20
        member: Zebracanary Member
        consent: true
        quote: Zebracanary quote.
        ---
        Zebracanary story body.
        """,
    "content/events/zebracanary-call.md": """
        ---
        title: Zebracanary call
        start: 2027-02-04T18:00
        duration: PT1H
        date: 2027-01-15
        repeat: FREQ=MONTHLY;BYDAY=1TH
        ---
        Zebracanary event body.
        """,
    "content/events/monthly-call.md": """
        ---
        title: Monthly call
        start: 2026-02-05T18:00
        duration: PT1H
        kind: call
        repeat: FREQ=MONTHLY;BYDAY=1TH
        location: Online
        ---
        Every first Thursday.
        """,
    "content/surveys/zebracanary-survey.md": """
        ---
        id: zebracanary-survey
        title: Zebracanary survey
        opens: 2027-01-10
        questions:
          - id: q1
            text: Zebracanary question?
            options: [Yes, No]
        ---
        Zebracanary survey intro.
        """,
    "guidelines/rules.md": """
        ---
        title: House rules
        ---
        ## Be kind {#be-kind}

        Assume good faith.
        """,
    "assets/zebracanary.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
}


def all_output_text(site: Path) -> dict[str, str]:
    """Every file of a built site as text (gzip files decompressed), by relative path."""
    texts = {}
    for path in sorted(site.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            texts[path.relative_to(site).as_posix()] = data.decode("utf-8", "replace")
    return texts


def files_mentioning(site: Path, needle: str) -> list[str]:
    return [name for name, text in all_output_text(site).items()
            if needle in name.lower() or needle in text.lower()]


@pytest.fixture(scope="module")
def embargo_sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tests.conftest import PYPROJECT, write_files

    root = tmp_path_factory.mktemp("embargo") / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    write_files(root, EMBARGO_REPO)
    before = build_site(root, BEFORE, root / "before").site_dir
    after = build_site(root, AFTER, root / "after").site_dir
    return before, after


def test_embargoed_items_appear_in_no_file_of_the_site(embargo_sites: tuple[Path, Path]) -> None:
    before, _ = embargo_sites
    assert files_mentioning(before, "zebracanary") == []


def test_embargo_covers_search_index_sitemap_feeds_calendar_and_tags(
    embargo_sites: tuple[Path, Path],
) -> None:
    before, _ = embargo_sites
    for name in ("search/search_index.json", "sitemap.xml", "feed.xml", "atom.xml", "events.ics",
                 "announcements/tags/news/index.html", "announcements/index.html"):
        assert (before / name).exists(), name
    assert "public-news" in (before / "search/search_index.json").read_text()
    assert "public-news" in (before / "sitemap.xml").read_text()


def test_embargoed_items_appear_once_their_date_has_passed(embargo_sites: tuple[Path, Path]) -> None:
    _, after = embargo_sites
    assert (after / "announcements/embargoed-zebracanary/index.html").exists()
    assert (after / "stories/zebracanary-story/index.html").exists()
    assert (after / "events/zebracanary-call/index.html").exists()
    assert (after / "surveys/zebracanary-survey/index.html").exists()
    assert (after / "announcements/tags/zebracanary-tag/index.html").exists()
    for name in ("search/search_index.json", "sitemap.xml", "feed.xml", "atom.xml", "events.ics"):
        assert "zebracanary" in (after / name).read_text().lower(), name


def test_drafts_never_appear(embargo_sites: tuple[Path, Path]) -> None:
    _, after = embargo_sites
    assert files_mentioning(after, "draft-zebracanary") == []
    assert not any("draft zebracanary" in text.lower() for text in all_output_text(after).values())


def test_link_to_an_embargoed_item_keeps_its_words_but_not_the_link(
    embargo_sites: tuple[Path, Path],
) -> None:
    before, after = embargo_sites
    page = (before / "announcements/public-news/index.html").read_text()
    assert "big news" in page and "embargoed-zebracanary" not in page
    assert 'href="../embargoed-zebracanary/"' in (after / "announcements/public-news/index.html").read_text()


def test_calendar_file_keeps_rrule_stable_uid_and_timezone(embargo_sites: tuple[Path, Path]) -> None:
    before, _ = embargo_sites
    calendar = icalendar.Calendar.from_ical((before / "events.ics").read_bytes())
    events = calendar.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == ["monthly-call@club.example.org"]
    event = events[0]
    assert event["rrule"].to_ical() == b"FREQ=MONTHLY;BYDAY=1TH"
    assert event["dtstart"].params["TZID"] == "Europe/Helsinki"
    assert event.decoded("dtstart").hour == 18
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]


def test_calendar_page_shows_event_time_with_utc_offset_across_dst(
    embargo_sites: tuple[Path, Path],
) -> None:
    before, _ = embargo_sites
    page = (before / "events/index.html").read_text()
    # 18:00 in Helsinki stays 18:00: UTC+02:00 in winter, UTC+03:00 after the spring change.
    assert "Thursday, December 3, 2026" in page and "18:00–19:00 EET (UTC+02:00)" in page
    assert "Thursday, April 1, 2027" in page and "18:00–19:00 EEST (UTC+03:00)" in page


def test_guideline_rules_have_permalink_anchors(embargo_sites: tuple[Path, Path]) -> None:
    before, _ = embargo_sites
    page = (before / "guidelines/rules/index.html").read_text()
    assert 'id="be-kind"' in page and 'href="#be-kind"' in page
    assert "tidings-guideline" in page


def test_same_sources_and_time_give_byte_identical_sites(make_repo: MakeRepo) -> None:
    root = make_repo(EMBARGO_REPO)

    def digest(site: Path) -> dict[str, str]:
        return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(site.rglob("*")) if p.is_file()}

    first = digest(build_site(root, BEFORE, root / "one").site_dir)
    second = digest(build_site(root, BEFORE, root / "two").site_dir)
    assert first == second


def test_failed_build_leaves_the_previous_site_untouched(make_repo: MakeRepo) -> None:
    root = make_repo(EMBARGO_REPO)
    site = root / "site"
    build_site(root, BEFORE, site)
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    (root / "content/announcements/broken.md").write_text("---\ntitle: x\n---\n")
    with pytest.raises(ContentError):
        build_site(root, BEFORE, site)
    (root / "content/announcements/broken.md").unlink()
    (root / "mkdocs.yml").write_text("theme:\n  name: no-such-theme\n")
    with pytest.raises(BuildError):
        build_site(root, BEFORE, site)
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".site")] == []


def test_news_has_archive_tag_author_pages_and_valid_feeds(embargo_sites: tuple[Path, Path]) -> None:
    from xml.etree import ElementTree

    _, after = embargo_sites
    assert (after / "announcements/archive/2026/index.html").exists()
    assert (after / "announcements/archive/2027/index.html").exists()
    assert (after / "announcements/authors/aino/index.html").exists()
    rss = ElementTree.parse(after / "feed.xml").getroot()
    assert [i.findtext("link") for i in rss.iter("item")] == [
        "https://club.example.org/announcements/embargoed-zebracanary/",
        "https://club.example.org/announcements/public-news/",
    ]
    atom = ElementTree.parse(after / "atom.xml").getroot()
    assert len(atom.findall("{http://www.w3.org/2005/Atom}entry")) == 2


def test_search_index_lists_public_pages(embargo_sites: tuple[Path, Path]) -> None:
    before, _ = embargo_sites
    index = json.loads((before / "search/search_index.json").read_text())
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert {"announcements/public-news/", "events/", "guidelines/rules/"} <= locations


def test_all_day_event_is_a_date_in_the_calendar(make_repo: MakeRepo) -> None:
    root = make_repo({"content/events/sprint.md": """
        ---
        title: Translation sprint
        start: 2026-12-07
        end: 2026-12-20
        ---
        Two weeks of translating together.
        """})
    site = build_site(root, BEFORE).site_dir
    event = icalendar.Calendar.from_ical((site / "events.ics").read_bytes()).walk("VEVENT")[0]
    # 'end' is the last day; the ICS DTEND is the day after it (RFC 5545).
    assert str(event.decoded("dtstart")) == "2026-12-07" and str(event.decoded("dtend")) == "2026-12-21"
    page = (site / "events/index.html").read_text()
    assert "Monday, December 7, 2026 – Sunday, December 20, 2026 (all day)" in page


def test_pages_load_nothing_from_other_hosts(embargo_sites: tuple[Path, Path]) -> None:
    before, _ = embargo_sites
    home = (before / "index.html").read_text()
    assert "fonts.googleapis.com" not in home and "fonts.gstatic.com" not in home
