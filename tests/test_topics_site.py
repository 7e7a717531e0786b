"""Discussion topics on the site (home block, topics page, a page per topic, nav, Finnish pages) and
in newsletters (``include`` by path and ``include: auto``), built by real MkDocs and parsed by ``email``.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import PULSE_SURVEY, write_files
from tidings.content import check, load
from tidings.content.model import Community, Newsletter
from tidings.issue import IssueContent, issue_content
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import IssueRenderer
from tidings.site.engine import build_site
from tidings.tokens import Signer

PYPROJECT = """\
[tool.tidings]
name = "Canary Club"
site_url = "https://club.example.org/"
collector_url = "https://collect.club.example.org/"
timezone = "Europe/Helsinki"
languages = ["en", "fi"]
newsletter_from = "Canary Club <news@club.example.org>"
"""
SECRET = "topics-test-secret-" + "t" * 16
DISCUSSION = "https://forum.example.org/t/offline-packs"
LATER_SURVEY = PULSE_SURVEY.replace("id: pulse", "id: later").replace("title: Pulse", "title: Later poll")


def _topic(title: str, week: str, body: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\nweek: {week}\n{extra}---\n{body}\n"


FILES = {
    "content/surveys/pulse.md": PULSE_SURVEY.format(closes="2027-12-01"),
    "content/surveys/later.md": LATER_SURVEY.format(closes="2027-12-01").replace(
        "closes:", "opens: 2027-03-01\ncloses:"),
    "content/topics/offline-packs.md": _topic(
        "Offline packs", "2027-W03", "What would make offline packs easier for you?\n\nMore words.",
        f"host: Aino Virtanen, CTO\ndiscussion: {DISCUSSION}\nsurvey: pulse\n"),
    "content/topics/offline-packs.fi.md": ("---\ntitle: Offline-paketit\n"
                                           "host: Aino Virtanen, teknologiajohtaja\n"
                                           "---\nMikä tekisi offline-paketeista helpompia?\n"),
    "content/topics/winter-routes.md": _topic(
        "Winter routes", "2027-W02", "Where do you ski?",
        "host: Ilkka Rautio, lead maintainer\ndiscussion: https://forum.example.org/t/winter\n"
        "survey: later\n"),
    "content/topics/old-maps.md": _topic("Old maps", "2026-W51", "Paper or screen?", "host: Lena Brandt\n"),
    "content/topics/next-secret.md": _topic("Next secret topic", "2027-W04", "Not yet.", "host: Dana\n"),
    "content/topics/draft-idea.md": _topic("Draft idea", "2027-W03", "Not ready.", "draft: true\n"),
    "content/topics/far-future.md": _topic("Far future", "2027-W09", "Much later.", "host: Dana\n"),
    "newsletters/january.md": "---\nsubject: January news\nsend_at: 2027-01-14T09:00\n"
                              "include: [content/topics/offline-packs.md]\n---\nHello!\n",
    "newsletters/january.fi.md": "---\nsubject: Tammikuun uutiset\n---\nHei!\n",
    "newsletters/late-january.md": "---\nsubject: Late January\nsend_at: 2027-01-21T09:00\n"
                                   "include: auto\n---\nHello again!\n",
}
IN_WEEK_3 = datetime(2027, 1, 19, 12, tzinfo=UTC)  # Tuesday of 2027-W03 (Jan 18-24)
BEFORE_WEEK_3 = datetime(2027, 1, 17, 21, 59, tzinfo=UTC)  # Sunday 23:59 in Helsinki


def _repo(base: Path) -> Path:
    root = base / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    write_files(root, FILES)
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _repo(tmp_path_factory.mktemp("topics"))


@pytest.fixture(scope="module")
def site(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(root, IN_WEEK_3, tmp_path_factory.mktemp("out") / "site").site_dir


@pytest.fixture(scope="module")
def site_before(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(root, BEFORE_WEEK_3, tmp_path_factory.mktemp("before") / "site").site_dir


class Article(HTMLParser):
    """The words and links of a page's article, its <html lang> and its nav links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang = ""
        self.links: list[str] = []
        self.nav: list[tuple[str, str]] = []
        self.words: list[str] = []
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self._depth = 0
        self._nav_href: str | None = None
        self.feed(html)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.words).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        self.tags.add(tag)
        self.attributes.update(k for k, _ in attrs)
        if tag == "article":
            self._depth += 1
        if tag == "a" and self._depth:
            self.links.append(a.get("href", ""))
        if tag == "a" and "md-tabs__link" in a.get("class", ""):
            self._nav_href = a.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._depth -= 1
        if tag == "a":
            self._nav_href = None

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.words.append(data)
        if self._nav_href is not None and data.strip():
            self.nav.append((data.strip(), self._nav_href))


def _page(site: Path, path: str) -> Article:
    return Article((site / path / "index.html").read_text(encoding="utf-8"))


# -- the site ----------------------------------------------------------------------------------------
def test_the_home_page_shows_this_weeks_topic_with_host_discussion_and_its_opening_line(site: Path) -> None:
    home = _page(site, "")
    assert "This week's topic" in home.text
    assert "Offline packs" in home.text and "Aino Virtanen, CTO" in home.text
    assert "What would make offline packs easier for you?" in home.text
    assert "More words" not in home.text  # a line of the opening post, not all of it
    assert "topics/offline-packs/" in home.links and DISCUSSION in home.links
    assert "Winter routes" not in home.text  # last week's topic is not this week's
    assert "Draft idea" not in home.text  # a draft is never public


def test_before_its_week_the_topic_is_nowhere_and_the_home_block_shows_the_running_one(
        site_before: Path) -> None:
    home = _page(site_before, "")
    assert "Winter routes" in home.text and "Offline packs" not in home.text
    assert not (site_before / "topics" / "offline-packs").exists()
    assert not (site_before / "fi" / "topics" / "offline-packs").exists()
    for name in ("sitemap.xml", "search/search_index.json"):
        text = (site_before / name).read_text(encoding="utf-8")
        assert "offline-packs" not in text and "Offline packs" not in text, name
    assert "offline-packs" not in (site_before / "topics" / "index.html").read_text(encoding="utf-8")
    # The issue that told the topic early joins the web archive only once the topic is public.
    assert not (site_before / "newsletters" / "january").exists()


def test_a_past_issue_in_the_archive_links_the_topic_it_included(site: Path) -> None:
    issue = _page(site, "newsletters/january")
    assert "Offline packs" in issue.text and "../../topics/offline-packs/" in issue.links


def test_the_topics_page_lists_this_weeks_topic_and_past_ones_newest_first_never_future_ones(
        site: Path) -> None:
    index = _page(site, "topics")
    text = index.text
    assert text.index("This week") < text.index("Offline packs") < text.index("Past topics")
    assert text.index("Past topics") < text.index("Winter routes") < text.index("Old maps")
    assert "Next secret topic" not in text and "Far future" not in text and "Draft idea" not in text
    assert "newsletter" in text  # the upcoming ones are told to subscribers first
    assert {"offline-packs/", "winter-routes/", "old-maps/"} <= set(index.links)
    assert "Ilkka Rautio, lead maintainer" in text
    assert not (site / "topics" / "next-secret").exists()


def test_a_topic_page_shows_its_week_as_dates_host_discussion_survey_and_opening_post(site: Path) -> None:
    page = _page(site, "topics/offline-packs")
    text = page.text
    assert "Offline packs" in text and "Jan 18 – 24, 2027" in text
    assert "Aino Virtanen, CTO" in text and DISCUSSION in page.links
    assert "Quick poll" in text and "../../surveys/pulse/" in page.links
    assert "What would make offline packs easier for you?" in text and "More words." in text
    # A topic's survey that is not open yet stays off the page, as the survey itself does.
    winter = _page(site, "topics/winter-routes")
    assert "Quick poll" not in winter.text and not any("later" in link for link in winter.links)


def test_every_language_has_the_topics_section_in_its_nav(site: Path) -> None:
    assert ("Discussion topics", "topics/") in _page(site, "").nav
    assert ("Keskusteluaiheet", "topics/") in _page(site, "fi").nav


def test_the_finnish_pages_show_the_finnish_topic_with_finnish_dates_and_labels(site: Path) -> None:
    page = _page(site, "fi/topics/offline-packs")
    assert page.lang == "fi"
    assert "Offline-paketit" in page.text and "18.–24. tammikuuta 2027" in page.text
    assert "Vetäjä" in page.text and "Aino Virtanen, teknologiajohtaja" in page.text
    home = _page(site, "fi")
    assert "Viikon aihe" in home.text and "Offline-paketit" in home.text
    assert "Mikä tekisi offline-paketeista helpompia?" in home.text
    index = _page(site, "fi/topics")
    assert "Tällä viikolla" in index.text and "Aiemmat aiheet" in index.text
    # An untranslated topic is listed in Finnish with its language named, linking to its own page.
    assert "Winter routes" in index.text and "englanti" in index.text
    assert "../../topics/winter-routes/" in index.links


def test_a_site_without_topics_has_no_topics_section(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    write_files(root, {"content/announcements/hi.md": "---\ntitle: Hi\ndate: 2026-11-01\n---\nHello.\n"})
    site = build_site(root, IN_WEEK_3).site_dir
    assert not (site / "topics").exists()
    home = _page(site, "")
    assert "This week's topic" not in home.text
    assert all(href != "topics/" for _, href in home.nav)


# -- newsletters ---------------------------------------------------------------------------------------
def _issue(community: Community, slug: str) -> tuple[Newsletter, IssueContent]:
    letter = next(n for n in community.newsletters if n.slug == slug)
    return letter, issue_content(community, letter, letter.send_at)


def _message(community: Community, letter: Newsletter, lang: str) -> EmailMessage:
    version = community.versions(letter).get(lang, letter)
    renderer = IssueRenderer(community, version, letter.send_at, lang=lang)
    rendered = renderer.render(None)
    recipient = Recipient(id="7", email="reader@example.org", lang=lang)
    data = MessageTemplate(rendered, community.config, Signer(SECRET)).build(recipient, letter.send_at)
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _parts(message: EmailMessage) -> tuple[str, str]:
    html_part = message.get_body(("html",))
    text_part = message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    # Words only: babel puts thin spaces around the dash of a date range.
    return " ".join(html_part.get_content().split()), " ".join(text_part.get_content().split())


def test_a_repo_whose_newsletter_includes_a_topic_checks_clean(root: Path) -> None:
    _, problems = check(root, history=False)
    assert [p for p in problems if p.severity == "error"] == []


def test_a_newsletter_includes_a_topic_by_path_as_early_access_before_its_week(root: Path) -> None:
    community = load(root)
    letter, content = _issue(community, "january")
    (included,) = content.topics
    assert included.entry.title == "Offline packs"
    assert included.public_on == included.entry.week_start  # sent Thursday of W02: not public yet
    assert content.early_access == (included,) and content.public_on == included.entry.week_start
    html, text = _parts(_message(community, letter, "en"))
    for part in (html, text):
        assert "Topic of the week" in part or "TOPIC OF THE WEEK" in part
        assert "Offline packs" in part and "Hosted by Aino Virtanen, CTO" in part
        assert DISCUSSION in part and "Early access" in part
        assert "Jan 18 – 24, 2027" in part
        assert "club.example.org/topics/" not in part  # no link to a page that is not public
    assert "What would make offline packs easier for you?" in text and "More words." in text


def test_the_finnish_email_shows_the_finnish_topic_block(root: Path) -> None:
    community = load(root)
    letter, _ = _issue(community, "january")
    message = _message(community, letter, "fi")
    html, text = _parts(message)
    assert message["Subject"] == "Tammikuun uutiset"
    for part in (html, text):
        assert "Offline-paketit" in part and "Vetäjänä Aino Virtanen, teknologiajohtaja" in part
        assert "Osallistu keskusteluun" in part and DISCUSSION in part
        assert "18.–24. tammikuuta 2027" in part
    assert "VIIKON AIHE" in text and "Viikon aihe" in html


def test_include_auto_takes_the_topics_since_the_previous_issue_and_the_week_ahead(root: Path) -> None:
    community = load(root)
    letter, content = _issue(community, "late-january")  # sent 2027-01-21, the previous on 01-14
    titles = [t.entry.title for t in content.topics]
    assert titles == ["Winter routes", "Offline packs", "Next secret topic"]
    early = {t.entry.title: t.public_on for t in content.topics}
    assert early["Winter routes"] is None and early["Offline packs"] is None
    assert early["Next secret topic"] is not None  # 2027-W04 begins after the send
    html, text = _parts(_message(community, letter, "en"))
    assert "https://club.example.org/topics/offline-packs/" in html
    assert re.search(r"Early access · public on Monday, January 25, 2027", text)
    assert "Old maps" not in text and "Far future" not in text and "Draft idea" not in text


def test_a_hosts_name_and_a_topics_title_are_text_in_the_email(tmp_path: Path) -> None:
    hostile = '<img src=x onerror="alert(1)"> Aino'
    root = _repo(tmp_path)
    write_files(root, {"content/topics/offline-packs.md": _topic(
        "Offline <b>packs</b>", "2027-W03", "Body.", f"host: '{hostile}'\ndiscussion: {DISCUSSION}\n")})
    community = load(root)
    letter, _ = _issue(community, "january")
    html, text = _parts(_message(community, letter, "en"))
    assert "<img src=x" not in html and "<b>packs</b>" not in html
    assert "Hosted by &lt;img src=x onerror=&#34;alert(1)&#34;&gt; Aino" in html
    assert f"Hosted by {hostile}" in text and "Offline <b>packs</b>" in text


def test_demo_names_this_weeks_topic_and_what_it_holds_back(tmp_path: Path) -> None:
    from tidings.demo import editorial_lines
    from tidings.embargo import public_view

    root = _repo(tmp_path)
    write_files(root, {
        "content/events/walk.md": "---\ntitle: Winter walk\nstart: 2027-02-13T12:00\nduration: PT2H\n"
                                  "draft: true\n---\nSoon.\n",
        "content/stories/ski.md": "---\ntitle: Ski touring\ndate: 2026-12-17\nmember: Joona\n---\nWords.\n",
    })
    community = load(root)
    lines = editorial_lines(community, public_view(community, IN_WEEK_3))
    assert "  this week's topic: 'Offline packs', hosted by Aino Virtanen, CTO" in lines
    assert "  draft, not on the site: 'Winter walk' (content/events/walk.md)" in lines
    assert "  awaiting consent, not on the site: 'Ski touring' (content/stories/ski.md)" in lines


# -- outside text stays inert -------------------------------------------------------------------------
_NO_CONTROL = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))


@settings(max_examples=40, deadline=None)
@example(host="<script>alert(1)</script>", path='x"><script>alert(2)</script>')
@example(host="[click](https://evil.example.org) *bold* `code` # | &lt;", path="a b(c)[d]'e")
@given(host=st.text(_NO_CONTROL, min_size=1, max_size=40).filter(lambda s: s.strip() == s and s),
       path=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), max_size=30))
def test_a_hosts_name_and_a_discussion_link_never_become_markup_on_the_pages(host: str, path: str) -> None:
    import tempfile

    import markdown
    import yaml

    from tidings.embargo import public_view
    from tidings.site.languages import language_views
    from tidings.site.stage import Stager

    url = f"https://forum.example.org/t/{path}"
    head = yaml.safe_dump({"title": "Hostile", "week": "2027-W03", "host": host, "discussion": url},
                          allow_unicode=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        write_files(root, {"content/topics/hostile.md": f"---\n{head}---\nBody.\n"})
        community, problems = check(root, history=False)
        if community is None or [p for p in problems if p.severity == "error"]:
            return  # refused by check with a message: nothing reaches a page
        ((_, view), *_) = language_views(public_view(community, IN_WEEK_3))
        files = Stager(view, "en").build()
    for name in ("index.md", "topics/hostile.md", "topics/index.md"):
        text = str(files[name]).split("---\n", 2)[2]
        html = markdown.markdown(text, extensions=["attr_list", "tables", "toc", "admonition"])
        page = Article(f"<article>{html}</article>")
        assert page.tags <= {"article", "p", "h1", "h2", "a", "strong", "br", "ul", "li"}, (name, html)
        assert " ".join(host.split()) in page.text, name
        for link in page.links:
            assert link.startswith(("https://forum.example.org/t/", "topics/", "hostile", "../", "index")), \
                link
            assert not set(link) & set(" <>\"'`"), link


@settings(max_examples=200, deadline=None)
@example(text="<script>alert(1)</script>")
@example(text="&lt;b&gt; &#60; &amp; Q&A")
@example(text='Hello {: onclick="alert(1)" }')
@example(text="Q&A <b>bold</b> \\<i> [x](javascript:alert(1)) ![i](x.png) `c` *e* _u_ # | >")
@given(text=st.text(_NO_CONTROL, min_size=1, max_size=60).filter(lambda s: s.strip() == s and s))
def test_any_name_written_into_a_page_stays_words_and_never_becomes_markup(text: str) -> None:
    import markdown

    from tidings.site.markdown_text import md

    for line in (f"**Host:** {md(text)}", f"# {md(text)}"):  # a name in a line, a title as a heading
        html = markdown.markdown(line, extensions=["attr_list", "tables", "toc", "admonition"])
        page = Article(f"<article>{html}</article>")
        assert page.tags <= {"article", "p", "strong", "h1"} and page.attributes <= {"id"}, html
    page = Article(f"<article>{markdown.markdown(f'**Host:** {md(text)}', extensions=['tables'])}</article>")
    assert page.text == " ".join(f"Host: {text}".split())


def test_an_early_topics_picture_the_site_holds_back_is_left_out_of_the_email(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    write_files(root, {
        "assets/topic-map.png": "not really a picture",
        "content/topics/offline-packs.md": _topic(
            "Offline packs", "2027-W03", "What would help?\n\n![The new map](../../assets/topic-map.png)",
            f"host: Aino Virtanen, CTO\ndiscussion: {DISCUSSION}\n"),
    })
    community = load(root)
    letter, content = _issue(community, "january")
    assert content.topics[0].public_on is not None
    html, text = _parts(_message(community, letter, "en"))
    assert "What would help?" in html
    assert "topic-map.png" not in html and "topic-map.png" not in text  # it would not load before W03


def test_the_plan_does_not_call_an_issue_that_brings_only_topics_empty(tmp_path: Path) -> None:
    from datetime import date

    from tidings.plan.agenda import agenda

    root = tmp_path / "plan"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    write_files(root, {
        "content/topics/offline-packs.md": FILES["content/topics/offline-packs.md"].replace(
            "survey: pulse\n", ""),
        "newsletters/topics-only.md": "---\nsubject: Topics only\nsend_at: 2027-01-21T09:00\n"
                                      "include: auto\n---\nHello!\n",
        "newsletters/empty.md": "---\nsubject: Nothing\nsend_at: 2026-11-05T09:00\ninclude: auto\n---\nHi.\n",
    })
    weeks = agenda(load(root), date(2026, 11, 2), 13).weeks
    gaps = [gap for week in weeks for gap in week.gaps if gap.startswith("issue")]
    assert gaps == ["issue with nothing new to include: Nothing (newsletters/empty.md)"]
