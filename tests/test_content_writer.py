"""Content files written by tidings read back to the same values, and `check` finds them clean."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PYPROJECT
from tidings.content import check
from tidings.content.source import parse_source
from tidings.content.writer import format_content, write_content

# Text an editor could type in a title: no control characters, not only spaces.
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=80
               ).filter(lambda s: s.strip() == s and s != "")
TRICKY = st.sampled_from(["no", "yes", "off", "true", "null", "~", "2026-11-23", "12:30", "0o17",
                          "1e3", ".inf", "- item", "key: value", "# not a comment", "'quoted'",
                          "Tern 4.0 — offline maps", "Pöytäkirja", "地图", "@handle", "*bold*"])
TITLES = st.one_of(TRICKY, TEXT)
DATES = st.dates().map(lambda d: d.isoformat())


def test_keys_keep_their_order_and_no_stays_a_string() -> None:
    text = format_content({"title": "Hei", "date": "2026-11-23", "lang": "no", "draft": True}, "Body.")
    assert text == "---\ntitle: Hei\ndate: '2026-11-23'\nlang: 'no'\ndraft: true\n---\n\nBody.\n"


@settings(max_examples=150, deadline=None)
@given(title=TITLES, summary=TITLES, tags=st.lists(TITLES, max_size=3), day=DATES,
       lang=st.sampled_from(["no", "en", "fi", "nb", "pt-BR"]), body=TEXT)
def test_a_written_announcement_reads_back_to_the_same_values(
        title: str, summary: str, tags: list[str], day: str, lang: str, body: str) -> None:
    metadata = {"title": title, "date": day, "summary": summary, "tags": tags, "lang": lang}
    parsed, problems = parse_source("x.md", format_content(metadata, body))
    assert problems == [] and parsed is not None
    assert parsed.meta == metadata
    assert parsed.body.strip() == body.strip()
    assert list(parsed.meta) == list(metadata)


@settings(max_examples=40, deadline=None)
@given(title=TITLES, day=st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(str),
       lang=st.sampled_from(["no", "en", "fi", "nb"]))
def test_a_written_announcement_passes_check(title: str, day: str, lang: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        write_content(root / "content" / "announcements" / "news.md",
                      {"title": title, "date": day, "lang": lang}, "Some news.")
        _, problems = check(root, history=False)
        assert [str(p) for p in problems] == []
