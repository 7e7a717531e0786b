"""Stage the docs tree: plain Markdown pages and mkdocs.yml generated from the as-of view.

Only public items are staged, so every output MkDocs makes from the tree (pages, search index,
sitemap) is embargo-safe by construction. The tree is plain Markdown + mkdocs.yml so the
engine can be swapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from tidings.calendar import schedule
from tidings.content.kinds import (
    ANNOUNCEMENTS,
    EVENTS,
    GUIDELINES,
    KINDS,
    NEWSLETTERS,
    STORIES,
    SURVEYS,
    TOPICS,
    Kind,
)
from tidings.content.model import Announcement, Newsletter, Page, Story
from tidings.embargo import PublicView
from tidings.errors import ContentError
from tidings.issue import issue_content
from tidings.labels import texts_for
from tidings.locales import language_choices
from tidings.site import feeds
from tidings.site.event_pages import EventPages
from tidings.site.guideline_pages import GuidelinePages
from tidings.site.languages import held_back_assets, language_views, with_alternates
from tidings.site.mkdocs_config import (
    Tagged,
    dump_config,
    merge_config,
    read_user_config,
    theme_language,
    theme_overrides,
    with_languages,
)
from tidings.site.news_pages import NewsPages
from tidings.site.page_templates import override_problems
from tidings.site.pages_base import Linked, front_matter_text, md, rel, staged_path
from tidings.site.survey_pages import SurveyPages
from tidings.site.topic_pages import TopicPages
from tidings.site.tree import sync_tree, write_if_changed
from tidings.urls import page_url

# write_if_changed and sync_tree moved to tidings.site.tree; the CLI still imports them from here.
__all__ = ["ASSET_DIR", "Stager", "rel", "stage", "staged_path", "sync_tree", "theme_language",
           "write_if_changed"]

ASSET_DIR = "_tidings"
# Heading ids keep letters of any script (`## Καλωσόρισμα` -> #καλωσόρισμα): the default slugify
# drops them and numbers the headings `_1`, `_2`, ids that shift whenever a heading is added.
TOC = {"permalink": True,
       "slugify": Tagged("tag:yaml.org,2002:python/name:markdown.extensions.toc.slugify_unicode", "")}
# The nav's sections, in order, with their title labels; the news and the calendar show even when empty.
NAV_SECTIONS: tuple[tuple[Kind[Any], str], ...] = (
    (ANNOUNCEMENTS, "news.title"), (EVENTS, "events.title"), (STORIES, "stories.title"),
    (TOPICS, "topics.title"), (GUIDELINES, "guidelines.title"), (SURVEYS, "surveys.title"),
    (NEWSLETTERS, "newsletters.title"))
ALWAYS_IN_NAV = {ANNOUNCEMENTS.name, EVENTS.name}


def _not_in_nav(languages: Sequence[str]) -> str:
    """The sections whose pages the nav does not list one by one (the news has sub-listings too)."""
    prefixes = ["", *(f"{code}/" for code in languages[1:])]
    return "\n".join(f"/{prefix}{kind.url_folder}*" + ("*" if kind is ANNOUNCEMENTS else "")
                     for prefix in prefixes for kind in KINDS if kind.url_folder and kind is not GUIDELINES)


class Card(NamedTuple):
    """A story on the stories index: the story, the link to it, its picture and quote as Markdown."""

    item: Story
    link: str
    image: str
    quote: str


class Issue(NamedTuple):
    """A past issue on the newsletters index: the issue, its short date and the link to it."""

    item: Newsletter
    day: str
    link: str


class Stager(NewsPages, EventPages, TopicPages, SurveyPages, GuidelinePages):
    """Builds the dict of files (docs-relative path -> content) for one as-of view."""

    # -- pages ----------------------------------------------------------------------------
    def build(self) -> dict[str, str | bytes]:
        """Every page of the docs tree; a community's broken page templates are reported all at once."""
        problems = override_problems(self.config.root)
        if problems:
            raise ContentError(problems)
        self.announcement_pages()
        self.story_pages()
        self.event_pages()
        self.topic_pages()
        self.survey_pages()
        self.guideline_pages()
        self.newsletter_pages()
        self.subscribe_page()
        for page in self.view.pages:
            if self.own(page):  # an untranslated page is staged in its own language
                self.page(page)
        self.home()
        self.static_files()
        return self.files

    def story_pages(self) -> None:
        """A page per public story and the stories index."""
        if not self.view.stories:
            return
        cards = []
        index = self.section(STORIES)
        for story in self.view.stories:
            page = staged_path(story)
            if self.own(story):  # an untranslated story's page is staged in its own language
                self.files[page] = self.render(
                    "story.md.j2", item=story, front=self.front(story.title, story.quote),
                    image=self.image(story.image, page, story.member), quote=self.quote(story),
                    body=self.body(story, page))
            cards.append(Card(story, rel(index, page), self.image(story.image, index, story.member),
                              self.quote(story)))
        self.files[index] = self.render(
            "stories_index.md.j2", front=self.front(self.text["stories.title"]), stories=cards)

    def quote(self, story: Story) -> str:
        who = md(story.member) + (f", {md(story.role)}" if story.role else "")
        quoted = f"> {md(story.quote)}\n>\n" if story.quote else ""
        return f'{quoted}> — **{who}**\n{{ .tidings-quote }}\n\n' if quoted else f"**{who}**\n\n"

    def newsletter_pages(self) -> None:
        """Past issues, without personal links, once every item they told early is public."""
        if not self.view.newsletters:
            return
        t = self.text
        issues = []
        for letter in self.view.newsletters:
            page = staged_path(letter)
            issues.append(Issue(letter, t.short_day(letter.send_at.astimezone(self.config.timezone)),
                                rel(self.section(NEWSLETTERS), page)))
            if not self.own(letter):
                continue  # an untranslated issue's page is staged in its own language
            content = issue_content(self.view.community, letter, letter.send_at)
            survey = content.survey
            self.files[page] = self.render(
                "newsletter.md.j2", item=letter, front=self.front(letter.subject, letter.preheader),
                sent=t.day(letter.send_at.astimezone(self.config.timezone)), body=self.body(letter, page),
                told=bool(content.included),
                items=[Linked(i.entry, rel(page, staged_path(i.entry)))
                       for i in content.included if i.entry.path in self.public],
                events=[self.occurrence_line(o, page) for o in content.events],
                survey=Linked(survey, rel(page, staged_path(survey)))
                if survey and survey.path in self.public else None)
        self.files[self.section(NEWSLETTERS)] = self.render(
            "newsletters_index.md.j2", front=self.front(t["newsletters.title"]), issues=issues)

    def page(self, page: Page) -> None:
        """Any other page, as written; ``{{ signup_form }}`` in it becomes the sign-up form."""
        path = staged_path(page)
        extra = {"hide": list(page.hide)} if page.hide else {}
        body = self.body(page, path).replace("{{ signup_form }}", self.signup_form(page.lang))
        self.files[path] = self.render(
            "page.md.j2", item=page, front=self.front(page.title, page.description, **extra),
            has_h1=any(line.startswith("# ") for line in page.body.splitlines()), body=body)

    def signup_form(self, lang: str | None = None) -> str:
        """A plain HTML form posting to the collector (double opt-in happens there), in ``lang``
        (default: the language of the page labels), which its language choice preselects."""
        lang = lang or self.text.language
        t = self.text if lang == self.text.language else texts_for(self.config, lang)
        return self.render("signup_form.html.j2", action=self.config.collector("subscribe"), t=t, lang=lang,
                           languages=language_choices(self.config.languages))

    def subscribe_page(self) -> None:
        """The sign-up page."""
        self.files[f"{self.prefix}subscribe.md"] = self.render(
            "subscribe.md.j2", front=self.front(self.text["signup.title"]), form=self.signup_form())

    def home(self) -> None:
        """The home page: this week's topic, latest news, next events, a story and the guidelines."""
        c = self.config
        view = self.view
        # No title key: Material then titles the home page with the site name alone.
        front: dict[str, Any] = {"description": c.description} if c.description else {}
        story = view.stories[0] if view.stories else None
        home = f"{self.prefix}index.md"
        self.files[home] = self.render(
            "home.md.j2", config=c, front=front_matter_text({**front, "hide": ["navigation"]}),
            topics=self.home_topics(home), topics_index=rel(home, self.section(TOPICS)),
            has_news=bool(view.announcements),
            cards=[self.news_card(a, home) for a in view.announcements[: c.home_announcements]],
            events=[self.occurrence_line(o, home)
                    for o in schedule.upcoming(view.events, view.as_of, c.calendar_months)[:3]],
            story=Card(story, rel(home, staged_path(story)), self.image(story.image, home, story.member),
                       self.quote(story)) if story else None,
            guidelines=[Linked(g, rel(home, staged_path(g))) for g in view.guidelines])

    def static_files(self) -> None:
        assets = resources.files("tidings") / "templates" / "site"
        for name in ("tidings.css", "tidings.js"):
            self.files[f"{ASSET_DIR}/{name}"] = (assets / name).read_text(encoding="utf-8")
        language = self.language if len(self.config.languages) > 1 else None
        self.files[f"{self.prefix}feed.xml"] = feeds.rss(self.view, self._news_url, language, self.prefix)
        self.files[f"{self.prefix}atom.xml"] = feeds.atom(self.view, self._news_url, language, self.prefix)

    def _news_url(self, item: Announcement) -> str:
        return page_url(self.config, item)

    # -- mkdocs.yml -------------------------------------------------------------------------
    def nav(self) -> list[Any]:
        """This language's navigation: every entry a page under its prefix, as the theme's hooks
        expect (they give each page the nav of its own language)."""
        t = self.text
        nav: list[Any] = [{t["site.home"]: f"{self.prefix}index.md"}]
        for kind, label in NAV_SECTIONS:
            items = self.view.of_kind(kind.name)
            if not items and kind.name not in ALWAYS_IN_NAV:
                continue
            if kind is GUIDELINES:  # every guideline in the nav, so its rules are a click away
                own = [staged_path(g) for g in items if self.own(g)]
                nav.append({t[label]: [self.section(kind), *own, self.section(kind, "changelog")]})
            else:
                nav.append({t[label]: self.section(kind)})
        nav.extend({page.title: staged_path(page)} for page in self.view.pages if self.own(page))
        nav.append({t["signup.title"]: f"{self.prefix}subscribe.md"})
        return nav

    def mkdocs_config(self, site_dir: Path, overrides: Path, user: dict[str, Any],
                      nav: list[Any] | None = None) -> dict[str, Any]:
        """The generated mkdocs.yml merged with the community's; ``nav``: every language's."""
        c = self.config
        nav = nav if nav is not None else self.nav()
        theme: dict[str, Any] = {
            "name": "material",
            "language": theme_language(c.language),
            "custom_dir": str(overrides),
            "features": ["navigation.tabs", "navigation.top", "search.suggest", "search.highlight",
                         "toc.follow"],
            "palette": {"scheme": "default", "primary": "indigo", "accent": "indigo"},
            # Privacy: no requests to Google Fonts from every page view (system fonts instead).
            "font": False,
        }
        if c.logo:
            theme["logo"] = c.logo
            theme["favicon"] = c.logo
        generated = {
            "site_name": c.name,
            "site_description": c.description,
            "site_url": c.site_url,
            "copyright": c.contact,
            "repo_url": c.repo_url,
            "docs_dir": "docs",
            "site_dir": str(site_dir),
            "use_directory_urls": True,
            "theme": theme,
            "nav": nav,
            "not_in_nav": _not_in_nav(c.languages),
            # Few, cheap extensions: MkDocs builds a Markdown instance per page, so each one
            # costs on every announcement. A community's mkdocs.yml can add more.
            "markdown_extensions": ["attr_list", "admonition", "tables", {"toc": TOC}],
            "extra_css": [f"{ASSET_DIR}/tidings.css"],
            "extra_javascript": [f"{ASSET_DIR}/tidings.js"],
        }
        merged = merge_config(user, generated, c.root)
        merged.setdefault("extra", {})
        return merged


def stage(view: PublicView, stage_dir: Path, site_dir: Path, *,
          site_url: str | None = None, hooks: list[str] | None = None,
          languages: Sequence[str] | None = None) -> tuple[Path, list[str]]:
    """Write the docs tree and mkdocs.yml under ``stage_dir`` (``languages``: the first is the default).

    Return the mkdocs.yml path and the docs files removed since the last staging. Files whose
    content is unchanged keep their mtime, so a live preview rebuilds little.
    """
    config = view.community.config
    # One docs tree and one engine build for every language: languages cost their pages only.
    stagers = [Stager(language_view, lang) for lang, language_view in language_views(view)]
    files: dict[str, str | bytes] = {}
    for one in stagers:
        files.update(one.build())
    if len(stagers) > 1:
        files = with_alternates(files, config.languages)
    stager = stagers[0]
    root = config.root
    overrides = stage_dir / "overrides"
    user = read_user_config(root)
    user_custom = (user.get("theme") or {}).get("custom_dir") if isinstance(user.get("theme"), dict) else None
    extra: dict[str, str | bytes] = {}
    if user_custom and (root / user_custom).is_dir():
        for file in sorted((root / user_custom).rglob("*")):
            if file.is_file():
                extra[file.relative_to(root / user_custom).as_posix()] = file.read_bytes()
    for name, text in theme_overrides().items():  # the community's own overrides win
        extra.setdefault(name, text)
    sync_tree(overrides, extra)
    assets = root / "assets"
    if assets.is_dir():
        held_back = held_back_assets([one.view for one in stagers])
        for file in sorted(assets.rglob("*")):
            name = f"assets/{file.relative_to(assets).as_posix()}"
            if file.is_file() and name not in held_back:
                files[name] = file.read_bytes()
    removed = sync_tree(stage_dir / "docs", files)
    languages = languages or config.languages
    nav = [entry for one in stagers for entry in one.nav()]
    mkdocs_config = with_languages(stager.mkdocs_config(site_dir, overrides, user, nav), languages)
    if site_url:
        mkdocs_config["site_url"] = site_url
    if hooks:
        mkdocs_config["hooks"] = [*(mkdocs_config.get("hooks") or []), *hooks]
    write_if_changed(stage_dir / "mkdocs.yml", dump_config(mkdocs_config).encode())
    return stage_dir / "mkdocs.yml", removed
