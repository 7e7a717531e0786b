"""The news: the index of latest items, archives per year, pages per tag and per author."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from tidings.content.kinds import ANNOUNCEMENTS
from tidings.content.loader import slugify
from tidings.content.model import Announcement
from tidings.site.pages_base import PageWriter, md, rel, staged_path

RECENT_NEWS = 10


class Group(NamedTuple):
    """A year, tag or author on the news index: its name, listing page and number of items."""

    name: str
    link: str
    total: int


class ListedItem(NamedTuple):
    """An announcement in a listing: the item, its short date and the link to it."""

    item: Announcement
    day: str
    link: str


class NewsPages(PageWriter):
    """Announcement pages and the listings that lead to them."""

    def news_page(self, name: str) -> str:
        """A page of the news section in this language, e.g. ``news_page("tags/python")``."""
        return self.section(ANNOUNCEMENTS, name)

    def news_meta(self, item: Announcement, page: str) -> str:
        """The date, authors and tags line under an announcement's title."""
        t = self.text
        day = t.day(item.date.astimezone(self.config.timezone))
        parts = [f'<time datetime="{item.date.isoformat()}">{day}</time>']
        if item.authors:
            names = ", ".join(
                f"[{md(a)}]({rel(page, self.news_page(f'authors/{slugify(a)}'))})" for a in item.authors
            )
            parts.append(f"{t['news.by']} {names}")
        tags = " ".join(f"[#{md(tag)}]({rel(page, self.news_page(f'tags/{slugify(tag)}'))})"
                        for tag in item.tags)
        meta = " · ".join(parts)
        return f'<span class="tidings-meta">{meta}</span>\n' + (f"{tags}\n" if tags else "") + "\n"

    def announcement_pages(self) -> None:
        """A page per public announcement, the news index, and archive, tag and author listings."""
        t = self.text
        news = self.view.announcements
        by_year: dict[int, list[Announcement]] = defaultdict(list)
        by_tag: dict[str, list[Announcement]] = defaultdict(list)
        by_author: dict[str, list[Announcement]] = defaultdict(list)
        tag_names: dict[str, str] = {}
        author_names: dict[str, str] = {}
        for item in news:
            page = staged_path(item)
            local = item.date.astimezone(self.config.timezone)
            by_year[local.year].append(item)
            for tag in item.tags:
                by_tag[slugify(tag)].append(item)
                tag_names.setdefault(slugify(tag), tag)
            for author in item.authors:
                by_author[slugify(author)].append(item)
                author_names.setdefault(slugify(author), author)
            if not self.own(item):
                continue  # shown in its own language: its page is staged there
            self.files[page] = self.render(
                "announcement.md.j2", item=item, front=self.front(item.title, item.summary),
                meta=self.news_meta(item, page), image=self.image(item.image, page, item.title),
                body=self.body(item, page))
        index = self.section(ANNOUNCEMENTS)
        self.files[index] = self.render(
            "news_index.md.j2", front=self.front(t["news.title"]),
            cards=[self.news_card(item, index, level=2) for item in news[:RECENT_NEWS]],
            years=[Group(str(year), f"archive/{year}.md", len(items))
                   for year, items in sorted(by_year.items(), reverse=True)],
            tags=[Group(tag_names[s], f"tags/{s}.md", len(by_tag[s])) for s in sorted(by_tag)],
            authors=[Group(author_names[s], f"authors/{s}.md", len(by_author[s])) for s in sorted(by_author)],
        )
        for year, items in by_year.items():
            self.listing(self.news_page(f"archive/{year}"), f"{t['news.from']} {year}", items)
        for slug, items in by_tag.items():
            self.listing(self.news_page(f"tags/{slug}"), f"{t['news.tagged']} #{tag_names[slug]}", items)
        for slug, items in by_author.items():
            self.listing(self.news_page(f"authors/{slug}"), f"{t['news.written_by']} {author_names[slug]}",
                         items)

    def news_card(self, item: Announcement, page: str, level: int = 3) -> str:
        """A title, date, authors, tags and summary; ``level`` keeps the page's headings in order."""
        link = rel(page, staged_path(item))
        summary = f"{item.summary}\n" if item.summary else ""
        heading = "#" * level
        title = f"{heading} [{md(item.title)}]({link}){self.untranslated_note(item)}\n\n"
        return title + self.news_meta(item, page) + summary + "\n"

    def listing(self, page: str, title: str, items: list[Announcement]) -> None:
        """A dated list of announcements (an archive year, a tag, an author)."""
        entries = [
            ListedItem(item, self.text.short_day(item.date.astimezone(self.config.timezone)),
                       rel(page, staged_path(item)))
            for item in items
        ]
        self.files[page] = self.render("news_listing.md.j2", front=self.front(title), title=title,
                                       entries=entries)
