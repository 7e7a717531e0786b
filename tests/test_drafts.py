"""Drafts of every kind and stories awaiting consent are kept in the repo but never published."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import MakeRepo
from tidings.content import check, load
from tidings.issue import issue_content
from tidings.mail.sender import due_issues
from tidings.store import open_database

LATER = datetime(2026, 12, 2, 9, tzinfo=UTC)
EVENT = "---\ntitle: Call\nstart: 2026-12-10T18:00\nduration: PT1H\n{extra}---\n"
STORY = "---\ntitle: Ana's story\ndate: 2026-11-20\nmember: Ana\n{extra}---\n"


def test_a_draft_event_is_in_no_newsletter(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/events/call.md": EVENT.format(extra="draft: true\n"),
        "newsletters/auto.md": "---\nsubject: Auto\nsend_at: 2026-12-01T09:00\ninclude: auto\n---\n",
        "newsletters/listed.md": "---\nsubject: Listed\nsend_at: 2026-12-01T09:00\n"
                                 "include: [content/events/call.md]\n---\n",
    })
    community = load(root)
    for letter in community.newsletters:
        assert issue_content(community, letter, LATER).events == ()


def test_a_draft_newsletter_is_never_due(make_repo: MakeRepo) -> None:
    root = make_repo({
        "newsletters/a.md": "---\nsubject: Ready\nsend_at: 2026-12-01T09:00\n---\n",
        "newsletters/b.md": "---\nsubject: Not yet\nsend_at: 2026-12-01T09:00\ndraft: true\n---\n",
    })
    due = due_issues(open_database(root), load(root), LATER)
    assert [letter.subject for letter in due] == ["Ready"]


def test_including_a_draft_or_a_story_awaiting_consent_is_a_notice(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/events/call.md": EVENT.format(extra="draft: true\n"),
        "content/stories/ana.md": STORY.format(extra=""),
        "newsletters/n.md": "---\nsubject: N\nsend_at: 2026-12-01T09:00\ninclude:\n"
                            "  - content/events/call.md\n  - content/stories/ana.md\n---\n",
    })
    _, problems = check(root)
    assert [str(p) for p in problems if p.path.startswith("newsletters/")] == [
        "newsletters/n.md:5: notice: include 'content/events/call.md' is a draft: "
        "it stays out of the issue until it is published",
        "newsletters/n.md:6: notice: include 'content/stories/ana.md' is awaiting consent: "
        "it stays out of the issue until 'consent: true' is written",
    ]
    assert all(p.severity == "notice" for p in problems)


def test_drafts_and_stories_awaiting_consent_appear_in_no_file_of_the_site(make_repo: MakeRepo) -> None:
    from tests.test_site import all_output_text, files_mentioning
    from tidings.site.engine import build_site

    secret = "draft: true\ntags: [quokkasecret]\n"
    root = make_repo({
        "content/announcements/public-news.md": "---\ntitle: Public news\ndate: 2026-11-01\n---\nHello.\n",
        "content/stories/drafted.md": STORY.format(extra="consent: true\n" + secret)
                                      + "quokkasecret story\n",
        "content/stories/waiting.md": STORY.format(extra="tags: [quokkasecret]\n")
                                      + "quokkasecret waiting\n",
        "content/events/quokkasecret-call.md": EVENT.format(extra="draft: true\n")
                                               + "quokkasecret call\n",
        "content/surveys/q.md": "---\nid: quokkasecret\ntitle: Q\ndraft: true\nquestions:\n"
                                "  - id: a\n    text: quokkasecret?\n    options: [yes, no]\n---\n",
        "guidelines/quokkasecret.md": "---\ntitle: quokkasecret rules\ndraft: true\n---\n"
                                      "## Be kind {#be-kind}\n",
        "newsletters/quokkasecret.md": "---\nsubject: quokkasecret issue\nsend_at: 2026-11-02\n"
                                       "draft: true\n---\nquokkasecret\n",
    })
    site = build_site(root, datetime(2030, 1, 1, tzinfo=UTC), root / "site").site_dir
    texts = all_output_text(site)
    for name in ("search/search_index.json", "sitemap.xml", "feed.xml", "events.ics"):
        assert name in texts, name
    assert "public-news" in texts["sitemap.xml"]
    assert files_mentioning(site, "quokkasecret") == []
