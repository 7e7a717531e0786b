"""The languages row of benchmarks/site.py: 1,000 announcement pages in five languages against the
same 1,000 in one language, built in the same run.

The multilingual repo has 200 sources (``post-<i>.md``, English) each with a Finnish, German,
Greek and Chinese translation (``post-<i>.fi.md`` …), 1,000 files; its texts are those of the
generated posts 0–999, so both repos hold the same 1,000 texts. Each language also gets its own
home, news index, archive, tag and author pages, feeds and calendar: that is what languages
cost. Both are built by ``python -m tidings site`` in a fresh process; the ratio is
multilingual seconds / one-language seconds (target: at most 1.3).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol


class Build(Protocol):
    """How site.py builds a repo in a fresh process (its ``Run`` has seconds and cpu_seconds)."""

    def __call__(self, repo: Path, out: Path, what: str) -> Any: ...

LANGUAGES = ("en", "fi", "de", "el", "zh")
MAX_LANGUAGE_RATIO = 1.3


@dataclass
class LanguagesResult:
    pages: int
    languages: int
    sources: int
    one_language_seconds: float
    one_language_cpu_seconds: float
    languages_seconds: float
    languages_cpu_seconds: float
    ratio: float
    cpu_ratio: float


def write_multilingual_repo(root: Path, posts: Sequence[Any],
                            write_repo: Callable[[Path, Sequence[Any]], Path]) -> Path:
    """len(posts)/5 sources in English, each translated into the four other languages."""
    write_repo(root, posts[: len(posts) // len(LANGUAGES)])
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8")
                         + f"languages = {list(LANGUAGES)!r}\n".replace("'", '"'), encoding="utf-8")
    sources = len(posts) // len(LANGUAGES)
    folder = root / "content" / "announcements"
    for number, lang in enumerate(LANGUAGES[1:], start=1):
        for index, source in enumerate(posts[:sources]):
            text = posts[number * sources + index]
            # A JSON string is a YAML double-quoted scalar: any title stays one value.
            front = f"title: {json.dumps(text.title)}\nsummary: {json.dumps(text.summary)}\n"
            (folder / f"{source.slug}.{lang}.md").write_text(f"---\n{front}---\n\n{text.body}",
                                                            encoding="utf-8")
    return root


def bench_languages(posts: Sequence[Any], scratch: Callable[[str], Path],
                    write_repo: Callable[[Path, Sequence[Any]], Path], build: Build,
                    fail: Callable[[str], NoReturn]) -> LanguagesResult:
    """Build both repos once each (one language first) and compare."""
    work = scratch(f"languages-{len(posts)}")
    mono = build(write_repo(work / "one-repo", posts), work / "one-site", "one language")
    multi_repo = write_multilingual_repo(work / "five-repo", posts, write_repo)
    multi = build(multi_repo, work / "five-site", "five languages")
    source = posts[0].slug
    for lang in LANGUAGES:
        prefix = "" if lang == LANGUAGES[0] else f"{lang}/"
        for page in (f"{prefix}announcements/{source}/index.html", f"{prefix}index.html",
                     f"{prefix}feed.xml"):
            if not (work / "five-site" / page).is_file():
                fail(f"the five-language site in {work / 'five-site'} lacks {page}")
    result = LanguagesResult(
        pages=len(posts), languages=len(LANGUAGES), sources=len(posts) // len(LANGUAGES),
        one_language_seconds=round(mono.seconds, 3), one_language_cpu_seconds=round(mono.cpu_seconds, 2),
        languages_seconds=round(multi.seconds, 3), languages_cpu_seconds=round(multi.cpu_seconds, 2),
        ratio=round(multi.seconds / mono.seconds, 2),
        cpu_ratio=round(multi.cpu_seconds / mono.cpu_seconds, 2) if mono.cpu_seconds else 0.0)
    r = result
    print(f"  one language, {r.pages} posts: {r.one_language_seconds:.2f} s "
          f"({r.one_language_cpu_seconds:.2f} s CPU)")
    print(f"  {r.languages} languages, {r.sources} sources x {r.languages}: {r.languages_seconds:.2f} s "
          f"({r.languages_cpu_seconds:.2f} s CPU)")
    print(f"  ratio five languages / one: {r.ratio:.2f}x wall, {r.cpu_ratio:.2f}x CPU "
          f"(target <= {MAX_LANGUAGE_RATIO}x)")
    return result
