"""Benchmark tidings' site build, ``check`` and live preview against Material's blog plugin.

What is measured
----------------
1. **Site build** for N announcements (default N = 100, 1000, 3000; the same generated posts
   for both tools). Each build is a fresh process, timed wall-clock by this script; its peak RSS
   comes from GNU ``/usr/bin/time -f %M`` (or, without it, a tiny Python wrapper reporting
   ``getrusage(RUSAGE_CHILDREN).ru_maxrss``).

   * tidings: ``python -m tidings --root REPO site --as-of 2027-01-01 --out OUT`` on a repo
     with ``pyproject.toml`` ([tool.tidings]) and ``content/announcements/post-<i>.md``.
     The output is sanity-checked (post page, feeds, a year archive, a tag page, search index);
     the script exits non-zero if anything is missing.
   * baseline: a plain Material for MkDocs site with the ``blog`` and ``tags`` plugins, the same
     posts in ``docs/blog/posts/``, built with ``mkdocs build -q``. Posts carry the summary as
     their first paragraph and a ``<!-- more -->`` excerpt marker, as Material's docs advise.

   Reported: seconds, peak MB and the speed-up ``baseline seconds / tidings seconds``.
2. **check on 5,000 files**: ``python -m tidings --root REPO check`` as one process, and
   ``tidings.content.check(REPO)`` in-process (median of 3 calls).
3. **Live preview, one-file edit at 1,000 posts**: ``tidings.site.serve.Preview`` in-process;
   one full build, then 3 times: append a sentence to one announcement and time the dirty
   ``Preview.rebuild()``; the sentence must show up in the rebuilt page.

4. **Languages**: 1,000 announcement pages in five languages (200 sources, each with four
   translations) against the same 1,000 in one language, built in the same run
   (``site_languages.py``); target: at most 1.3x the one-language seconds.

A summary with targets and PASS/MISS is printed and written to ``benchmarks/results/site.json``
(``site-quick.json`` for ``--quick``). A MISS does not change the exit code; a broken build or a
failed sanity check does.

How to run (with the Python of the environment tidings and mkdocs-material are installed in)::

    python benchmarks/site.py                  # N = 100, 1000, 3000 (several minutes)
    python benchmarks/site.py --sizes 100,1000 # choose the site sizes
    python benchmarks/site.py --quick          # smoke run: N = 50 for every part
    python benchmarks/site.py --keep           # keep the generated repos and sites in /tmp
    python benchmarks/site.py --languages-only # only the languages row
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import machine  # benchmarks/machine.py: this folder is on sys.path when run as a script
from machine import Row, print_summary, status
from site_languages import MAX_LANGUAGE_RATIO, LanguagesResult, bench_languages

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
AS_OF = "2027-01-01"
AS_OF_DT = datetime(2027, 1, 1, tzinfo=UTC)
SITE_URL = "https://community.example.org/"
DEFAULT_SIZES = (100, 1000, 3000)
CHECK_FILES = 5000
SERVE_POSTS = 1000
SERVE_EDITS = 3
QUICK_SIZE = 50
MIN_RATIO = 2.5
MAX_CHECK_SECONDS = 2.0
MAX_EDIT_SECONDS = 1.0
LANGUAGE_POSTS = 1000

# ---------------------------------------------------------------------------------------------
# Generated posts (deterministic: post i is the same text whatever N is)
# ---------------------------------------------------------------------------------------------

TAGS = ("release", "offline", "plugins", "translation", "meetup", "routing", "accessibility",
        "security", "design", "data", "mobile", "community")
CATEGORIES = ("Releases", "Community", "Engineering", "Events")
AUTHORS = {"ilkka": "Ilkka Rautio", "lena": "Lena Brandt", "dana": "Dana Whitfield",
           "aino": "Aino Virtanen", "mariana": "Mariana Costa"}

WORDS: dict[str, tuple[str, ...]] = {
    "feature": ("offline routing", "the new map style", "route sharing", "dark mode",
                "elevation profiles", "the plugin API", "trail conditions", "search suggestions",
                "the battery saver", "GPX import", "contour labels", "group rides",
                "offline packs", "turn-by-turn voice guidance", "the waypoint editor"),
    "place": ("Helsinki", "Berlin", "São Paulo", "Tartu", "Lyon", "Nairobi", "Kraków",
              "Montréal", "Bergen", "Valparaíso", "Kyoto", "Ljubljana"),
    "lang": ("Finnish", "German", "Brazilian Portuguese", "Greek", "Swahili", "Polish",
             "Japanese", "Slovenian", "Spanish", "Estonian"),
    "team": ("core team", "routing group", "design circle", "translation team",
             "infrastructure crew", "plugin working group"),
    "cmd": ("tern-cli sync --all", "tern packs rebuild", "pip install -U tern-plugins",
            "tern doctor", "TERN_CACHE=off", "tern export --gpx", "tern tiles serve"),
    "month": ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "heading": ("What changes for you", "How to try it", "What comes next", "Known issues",
                "Behind the scenes", "Thank you", "Numbers from the field", "How to help"),
}

SENTENCES = (
    "Over the past {n} weeks the {team} has been working on {feature}, and we are finally ready "
    "to share what came out of it.",
    "Many of you asked for **{feature}** at the {place} meetup, and this is our answer.",
    "If you run a self-hosted tile server, run `{cmd}` before you install the new version.",
    "The change is small on paper, but it touches almost every screen in the app.",
    "Testers in {place} covered more than {n}00 kilometres with early builds and sent us "
    "wonderfully detailed notes.",
    "We also fixed a long-standing bug where {feature} stopped working after the phone woke "
    "from sleep.",
    "Translators added {n} new strings in {lang} this month, which brings it close to complete.",
    "None of this would exist without the volunteers who review pull requests every evening.",
    "You can switch it off again in the settings if it gets in your way.",
    "Behind the scenes, we replaced the old storage layer with a single SQLite file per region.",
    "Our goal for {month} is simple: fewer crashes, faster start-up and clearer error messages.",
    "Please tell us what breaks; a short report with your phone model is already a great help.",
    "The {team} meets every second {weekday}, and everyone is welcome to listen in.",
    "We measured a {n} percent drop in battery use on older phones during a two-hour hike.",
    "Some of these ideas came straight from the survey you answered in {month}.",
    "It is still early, so expect rough edges and the occasional odd label on the map.",
    "Offline packs for {place} and the surrounding region are now about {n} percent smaller.",
    "Plugin authors should read the migration notes and try `{cmd}` on their code first.",
    "The decision was not easy, and we discussed it at length on the forum and in two calls.",
    "Thanks to everyone in {place} who hosted, cooked, carried projectors and answered questions.",
    "**Heads-up:** the first start after the update takes a little longer while maps are indexed.",
    "A lot of the work on {feature} was invisible: tests, profiling and many small clean-ups.",
    "We would love to see your photos and routes from {place}, so share them with the tag.",
    "The {lang} community translated the whole help section in less than a month.",
)
BULLETS = (
    "{Feature} now works without a network connection",
    "Fixed: {feature} ignored the units chosen in the settings",
    "New: `{cmd}` prints a short report you can paste into a bug",
    "{n} new and updated translations in {lang}",
    "Faster loading of {feature} on phones with little memory",
    "Clearer wording in the {lang} help pages",
    "A new meetup page for {place}, with dates for {month}",
    "**Breaking:** plugins must declare the permissions they need",
)
TITLES = (
    "{Feature} arrives in Tern {version}", "Recap: the {place} meetup",
    "Call for translators: {lang}", "Tern {version}: {feature} and more",
    "How we rebuilt {feature}", "Community call notes, {month}", "Security update for {feature}",
    "Design notes on {feature}", "A weekend of mapping in {place}", "Help us test {feature}",
)
SUMMARIES = (
    "A look at {feature}: what changed, why, and how to try it today.",
    "Notes and photos from {place}, plus what the {team} will work on next.",
    "Everything you need to know about {feature} before the {month} update.",
    "Why we changed {feature}, and what it means for plugin authors and translators.",
)


@dataclass(frozen=True)
class Post:
    """One generated announcement, written in both tools' formats."""

    index: int
    title: str
    when: datetime
    summary: str
    tags: tuple[str, ...]
    author: str
    body: str

    @property
    def slug(self) -> str:
        return f"post-{self.index}"


class _Filler:
    """Fills ``{placeholders}`` in templates with random words from one post's generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.deck: list[str] = []

    def sentence(self) -> str:
        """A filled sentence; every template is used once before any repeats."""
        if not self.deck:
            self.deck = self.rng.sample(SENTENCES, len(SENTENCES))
        return self(self.deck.pop())

    def __call__(self, template: str) -> str:
        values = {key: self.rng.choice(words) for key, words in WORDS.items()}
        values["Feature"] = values["feature"][0].upper() + values["feature"][1:]
        values["n"] = str(self.rng.randint(3, 40))
        values["version"] = f"{self.rng.randint(2, 5)}.{self.rng.randint(0, 12)}"
        return template.format(**values)


def _paragraph(fill: _Filler, sentences: int) -> str:
    return " ".join(fill.sentence() for _ in range(sentences))


def _body(index: int, fill: _Filler, words: int = 400) -> str:
    """About ``words`` words: paragraphs, two H2s, a bullet list, links, bold and code; no H1."""
    rng = fill.rng
    bullets = "\n".join(f"- {fill(b)}" for b in rng.sample(BULLETS, rng.randint(3, 5)))
    link = (f"Read the [full notes](https://tern.example.org/notes/{index}) or join the "
            f"discussion on [the forum](https://forum.example.org/t/{rng.randint(100, 9999)}).")
    headings = rng.sample(WORDS["heading"], 2)
    blocks = [
        _paragraph(fill, 4), f"## {headings[0]}", _paragraph(fill, 3), bullets,
        f"{_paragraph(fill, 2)} {link}", f"## {headings[1]}", _paragraph(fill, 3),
    ]
    while len(" ".join(blocks).split()) < words:
        blocks.append(_paragraph(fill, 2))
    return "\n\n".join(blocks) + "\n"


def make_post(index: int) -> Post:
    """Post ``index``: dated between 2020-01-01 and 2026-12-31, 1–3 tags, one author."""
    rng = random.Random(f"tidings-benchmark-{index}")
    fill = _Filler(rng)
    start = datetime(2020, 1, 1, 8, 0)
    span_days = (datetime(2026, 12, 31) - start).days
    when = start + timedelta(days=rng.randrange(span_days + 1), minutes=rng.randrange(10 * 60))
    return Post(
        index=index,
        title=fill(rng.choice(TITLES)),
        when=when.replace(second=0, microsecond=0),
        summary=fill(rng.choice(SUMMARIES)),
        tags=tuple(rng.sample(TAGS, rng.randint(1, 3))),
        author=rng.choice(sorted(AUTHORS)),
        body=_body(index, fill),
    )


def make_posts(count: int) -> list[Post]:
    return [make_post(i) for i in range(count)]


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _yaml_list(key: str, items: Sequence[str]) -> str:
    return f"{key}:\n" + "".join(f"  - {item}\n" for item in items)


# ---------------------------------------------------------------------------------------------
# The two sites on disk
# ---------------------------------------------------------------------------------------------


def write_tidings_repo(root: Path, posts: Sequence[Post]) -> Path:
    """A minimal community repo: pyproject.toml + content/announcements/post-<i>.md."""
    folder = root / "content" / "announcements"
    folder.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        "[tool.tidings]\n"
        'name = "Benchmark Community"\n'
        f'site_url = "{SITE_URL}"\n'
        'timezone = "Europe/Helsinki"\n',
        encoding="utf-8",
    )
    for post in posts:
        front = (
            f"title: {_quoted(post.title)}\n"
            f"date: {post.when.strftime('%Y-%m-%dT%H:%M')}\n"
            f"summary: {_quoted(post.summary)}\n"
            + _yaml_list("tags", post.tags)
            + _yaml_list("authors", [AUTHORS[post.author]])
        )
        (folder / f"{post.slug}.md").write_text(f"---\n{front}---\n\n{post.body}", encoding="utf-8")
    return root


def write_material_site(root: Path, posts: Sequence[Post]) -> Path:
    """A Material for MkDocs site using the blog and tags plugins, with the same posts."""
    docs = root / "docs"
    (docs / "blog" / "posts").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(
        "site_name: Benchmark Community\n"
        f"site_url: {SITE_URL}\n"
        "theme:\n  name: material\n"
        "plugins:\n  - search\n  - blog\n  - tags\n",
        encoding="utf-8",
    )
    (docs / "index.md").write_text("# Benchmark Community\n\nWelcome!\n", encoding="utf-8")
    (docs / "blog" / "index.md").write_text("# Blog\n", encoding="utf-8")
    authors = "".join(
        f"  {key}:\n    name: {name}\n    description: Community team\n"
        f"    avatar: https://example.org/avatars/{key}.png\n"
        for key, name in AUTHORS.items()
    )
    (docs / "blog" / ".authors.yml").write_text(f"authors:\n{authors}", encoding="utf-8")
    for post in posts:
        front = (
            f"date: {post.when.date().isoformat()}\n"
            f"slug: {post.slug}\n"
            + _yaml_list("categories", [CATEGORIES[TAGS.index(post.tags[0]) % len(CATEGORIES)]])
            + _yaml_list("tags", post.tags)
            + _yaml_list("authors", [post.author])
        )
        text = (f"---\n{front}---\n\n# {post.title}\n\n{post.summary}\n\n<!-- more -->\n\n"
                f"{post.body}")
        (docs / "blog" / "posts" / f"{post.slug}.md").write_text(text, encoding="utf-8")
    return root


# ---------------------------------------------------------------------------------------------
# Measuring a child process
# ---------------------------------------------------------------------------------------------

# Fallback when GNU time is missing: a fresh interpreter whose only child is the command, so
# RUSAGE_CHILDREN is the command's own usage (max RSS in KiB on Linux). Same line as GNU time's.
_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "open(sys.argv[1], 'w').write(f'{ru.ru_maxrss} {ru.ru_utime} {ru.ru_stime}')\n"
    "sys.exit(rc)\n"
)


@dataclass
class Run:
    """One measured child process: wall and CPU (user + system) seconds, peak RSS."""

    seconds: float
    cpu_seconds: float
    peak_mb: float
    returncode: int
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)


def _gnu_time() -> str | None:
    path = "/usr/bin/time"
    if not os.access(path, os.X_OK):
        return None
    probe = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return path if "GNU" in probe.stdout + probe.stderr else None


GNU_TIME = _gnu_time()


def measure(cmd: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` once; wall seconds (timed here), the child's CPU seconds and peak RSS."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "rss"
        if GNU_TIME:
            full = [GNU_TIME, "-f", "%M %U %S", "-o", str(report), *cmd]
        else:
            full = [sys.executable, "-c", _RSS_WRAPPER, str(report), *cmd]
        started = time.perf_counter()
        proc = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        # GNU time puts "Command exited with non-zero status N" before the numbers.
        lines = report.read_text().splitlines() if report.exists() else []
        try:
            peak_kib, user, system = (float(v) for v in lines[-1].split())
        except (IndexError, ValueError):
            peak_kib, user, system = 0.0, 0.0, 0.0
    return Run(seconds, user + system, peak_kib / 1024, proc.returncode, proc.stdout, proc.stderr)


def tidings_cmd(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tidings", "--root", str(root), *args]


def fail(message: str, run: Run | None = None) -> NoReturn:
    """Stop the benchmark with a non-zero exit, showing the child's output if any."""
    print(f"\nFAILED: {message}", file=sys.stderr)
    if run is not None:
        print(f"--- exit code {run.returncode}\n--- stdout:\n{run.stdout[-4000:]}"
              f"\n--- stderr:\n{run.stderr[-4000:]}", file=sys.stderr)
    raise SystemExit(1)


def warning_lines(text: str) -> list[str]:
    """Lines of a build's output that report a warning or an error."""
    return [line for line in text.splitlines()
            if "warning" in line.lower() or "error" in line.lower()]


# ---------------------------------------------------------------------------------------------
# 1. Site builds
# ---------------------------------------------------------------------------------------------


@dataclass
class SiteResult:
    posts: int
    load_average: float
    tidings_seconds: float
    tidings_cpu_seconds: float
    tidings_peak_mb: float
    baseline_seconds: float
    baseline_cpu_seconds: float
    baseline_peak_mb: float
    ratio: float
    cpu_ratio: float
    tidings_warnings: list[str]
    baseline_warnings: list[str]


def check_tidings_output(out: Path, post: Post) -> None:
    """Fail unless the site has the post's page, feeds, year archive, tag page and search entry."""
    tag_slug = post.tags[0].lower()
    required = [
        out / "announcements" / post.slug / "index.html",
        out / "feed.xml",
        out / "atom.xml",
        out / "announcements" / "archive" / str(post.when.year) / "index.html",
        out / "announcements" / "tags" / tag_slug / "index.html",
        out / "search" / "search_index.json",
    ]
    missing = [str(path.relative_to(out)) for path in required if not path.is_file()]
    if missing:
        fail(f"tidings output in {out} lacks: {', '.join(missing)}")
    index = json.loads((out / "search" / "search_index.json").read_text(encoding="utf-8"))
    if not any(doc["location"].startswith(f"announcements/{post.slug}/") for doc in index["docs"]):
        fail(f"{out}/search/search_index.json has no entry for announcements/{post.slug}/")


def check_baseline_output(site: Path, count: int) -> None:
    pages = sum(1 for _ in (site / "blog").glob("**/post-*/index.html"))
    if pages != count:
        fail(f"Material blog built {pages} post pages, expected {count} (in {site})")


def build_tidings(work: Path, posts: Sequence[Post]) -> Run:
    repo = write_tidings_repo(work / "tidings-repo", posts)
    out = work / "tidings-site"
    run = measure(tidings_cmd(repo, "site", "--as-of", AS_OF, "--out", str(out)))
    if run.returncode != 0:
        fail(f"tidings site build failed for N={len(posts)}", run)
    check_tidings_output(out, posts[0])
    return run


def build_tidings_repo(repo: Path, out: Path, what: str) -> Run:
    """``tidings site`` on a written repo, in a fresh process (the languages row)."""
    run = measure(tidings_cmd(repo, "site", "--as-of", AS_OF, "--out", str(out)))
    if run.returncode != 0:
        fail(f"tidings site build failed ({what})", run)
    return run


def build_baseline(work: Path, posts: Sequence[Post]) -> Run:
    root = write_material_site(work / "material-site", posts)
    mkdocs = Path(sys.executable).with_name("mkdocs")
    cmd = [str(mkdocs)] if mkdocs.exists() else [sys.executable, "-m", "mkdocs"]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = measure([*cmd, "build", "-q"], cwd=root, env=env)
    if run.returncode != 0:
        fail(f"Material blog build failed for N={len(posts)}", run)
    check_baseline_output(root / "site", len(posts))
    return run


def bench_site(posts: Sequence[Post], scratch: Callable[[str], Path]) -> SiteResult:
    work = scratch(f"site-{len(posts)}")
    load = load_average()
    ours = build_tidings(work, posts)
    base = build_baseline(work, posts)
    result = SiteResult(
        posts=len(posts), load_average=load,
        tidings_seconds=round(ours.seconds, 3), tidings_cpu_seconds=round(ours.cpu_seconds, 2),
        tidings_peak_mb=round(ours.peak_mb, 1),
        baseline_seconds=round(base.seconds, 3), baseline_cpu_seconds=round(base.cpu_seconds, 2),
        baseline_peak_mb=round(base.peak_mb, 1),
        ratio=round(base.seconds / ours.seconds, 2),
        cpu_ratio=round(base.cpu_seconds / ours.cpu_seconds, 2) if ours.cpu_seconds else 0.0,
        tidings_warnings=warning_lines(ours.stderr), baseline_warnings=warning_lines(base.stderr),
    )
    r = result
    print(f"{r.posts:>6} {r.tidings_seconds:>9.2f} {r.tidings_cpu_seconds:>9.2f} "
          f"{r.tidings_peak_mb:>7.0f} {r.baseline_seconds:>9.2f} {r.baseline_cpu_seconds:>9.2f} "
          f"{r.baseline_peak_mb:>7.0f} {r.ratio:>7.2f}x {r.cpu_ratio:>7.2f}x "
          f"{r.load_average:>5.2f}", flush=True)
    for who, lines in (("tidings", r.tidings_warnings), ("baseline", r.baseline_warnings)):
        if lines:
            print(f"       {who}: {len(lines)} warning line(s), first: {lines[0][:150]}")
    return result


# ---------------------------------------------------------------------------------------------
# 2. check
# ---------------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    files: int
    load_average: float
    cli_seconds: float
    cli_cpu_seconds: float
    cli_peak_mb: float
    in_process_seconds: float
    output: str


def bench_check(count: int, scratch: Callable[[str], Path]) -> CheckResult:
    from tidings.content import check

    repo = write_tidings_repo(scratch(f"check-{count}") / "repo", make_posts(count))
    load = load_average()
    run = measure(tidings_cmd(repo, "check"))
    if run.returncode != 0:
        fail(f"tidings check failed on {count} files", run)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        community, problems = check(repo)
        timings.append(time.perf_counter() - started)
        if community is None or len(community.announcements) != count:
            fail(f"check() did not load {count} announcements: {problems[:3]}")
    result = CheckResult(count, load, round(run.seconds, 3), round(run.cpu_seconds, 2),
                         round(run.peak_mb, 1), round(statistics.median(timings), 3),
                         run.stdout.strip()[-200:])
    print(f"  CLI `tidings check`: {result.cli_seconds:.2f} s "
          f"({result.cli_cpu_seconds:.2f} s CPU), peak {result.cli_peak_mb:.0f} MB, "
          f"load {load:.2f} ({result.output})")
    print(f"  in-process check(): {result.in_process_seconds:.2f} s (median of 3)")
    return result


# ---------------------------------------------------------------------------------------------
# 3. Live preview
# ---------------------------------------------------------------------------------------------


@dataclass
class ServeResult:
    posts: int
    load_average: float
    full_seconds: float
    edit_seconds: list[float]
    edit_median_seconds: float
    preview_output: list[str]


@contextlib.contextmanager
def captured_stdout(lines: list[str]) -> Iterator[None]:
    """Collect what the preview prints (problems, engine warnings) instead of showing it."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    lines.extend(line for line in buffer.getvalue().splitlines() if line.strip())


def bench_serve(count: int, scratch: Callable[[str], Path]) -> ServeResult:
    from tidings.site.serve import Preview

    repo = write_tidings_repo(scratch(f"serve-{count}") / "repo", make_posts(count))
    output: list[str] = []
    load = load_average()
    preview = Preview(repo, "http://127.0.0.1:8000/", as_of=AS_OF_DT)
    with captured_stdout(output):
        full = preview.rebuild(full=True)
    print(f"  full preview build: {full:.2f} s (load {load:.2f})")
    edits: list[float] = []
    for number, index in enumerate((count // 7, count // 2, count - 1), start=1):
        path = repo / "content" / "announcements" / f"post-{index}.md"
        marker = f"Benchmark edit {number} was saved at {time.time_ns()}."
        path.write_text(path.read_text(encoding="utf-8") + f"\n{marker}\n", encoding="utf-8")
        with captured_stdout(output):
            seconds = preview.rebuild()
        page = preview.site_dir / "announcements" / f"post-{index}" / "index.html"
        if not page.is_file() or marker not in page.read_text(encoding="utf-8"):
            fail(f"the edit of post-{index} is not in {page} after the dirty rebuild")
        edits.append(seconds)
        print(f"  edit {number} (post-{index}): {seconds:.2f} s")
    result = ServeResult(count, load, round(full, 3), [round(s, 3) for s in edits],
                         round(statistics.median(edits), 3), output)
    print(f"  median one-file edit: {result.edit_median_seconds:.2f} s")
    if output:
        print(f"  preview printed {len(output)} line(s), first: {output[0][:150]}")
    return result


# ---------------------------------------------------------------------------------------------
# Summary and main
# ---------------------------------------------------------------------------------------------


def language_row(lang: LanguagesResult) -> Row:
    return Row(f"site, {lang.pages} posts: {lang.languages} languages / one", f"{lang.ratio:.2f}x",
               f"<= {MAX_LANGUAGE_RATIO}x", status(lang.ratio <= MAX_LANGUAGE_RATIO))


def summary_rows(sites: Sequence[SiteResult], chk: CheckResult, srv: ServeResult,
                 lang: LanguagesResult) -> list[Row]:
    rows = [Row(f"site N={s.posts}: Material blog / tidings", f"{s.ratio:.2f}x",
                f">= {MIN_RATIO}x", status(s.ratio >= MIN_RATIO)) for s in sites]
    rows.append(language_row(lang))
    rows.append(Row(f"check, {chk.files} files (whole CLI)", f"{chk.cli_seconds:.2f} s",
                    f"< {MAX_CHECK_SECONDS} s", status(chk.cli_seconds < MAX_CHECK_SECONDS)))
    rows.append(Row(f"serve, one-file edit at {srv.posts} posts (median)",
                    f"{srv.edit_median_seconds:.2f} s", f"< {MAX_EDIT_SECONDS} s",
                    status(srv.edit_median_seconds < MAX_EDIT_SECONDS)))
    return rows



def load_average() -> float:
    """The 1-minute load average: above ~0.5 other work shares the CPUs and wall times suffer."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def environment() -> dict[str, Any]:
    return machine.environment("mkdocs", "mkdocs-material",
                               rss_from=GNU_TIME or "python getrusage wrapper",
                               load_average=load_average())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated numbers of announcements for the site builds")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: N={QUICK_SIZE} for the builds, check and preview")
    parser.add_argument("--keep", action="store_true", help="keep the generated repos and sites")
    parser.add_argument("--languages-only", action="store_true",
                        help="run only the languages row (1,000 posts in five languages vs one)")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes must look like 100,1000,3000")
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes needs positive numbers")
    return args


def languages_only(posts: int, scratch: Callable[[str], Path], base: Path, keep: bool,
                   env: dict[str, Any]) -> int:
    """``--languages-only``: the languages row alone, written to results/site-languages.json."""
    try:
        print(f"Languages: {posts} posts in five languages vs one language (load {env['load_average']})")
        lang = bench_languages(make_posts(posts), scratch, write_tidings_repo, build_tidings_repo, fail)
    finally:
        if keep:
            print(f"\nKept generated repos and sites in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    rows = [language_row(lang)]
    print_summary(rows)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / "site-languages.json"
    out.write_text(json.dumps({"environment": env, "languages": asdict(lang),
                               "summary": [asdict(r) for r in rows]}, indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    print(f"\nWrote {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [QUICK_SIZE] if args.quick else args.sizes
    check_files = QUICK_SIZE if args.quick else CHECK_FILES
    serve_posts = QUICK_SIZE if args.quick else SERVE_POSTS
    base = Path(tempfile.mkdtemp(prefix="tidings-bench-"))

    def scratch(name: str) -> Path:
        path = base / name
        path.mkdir()
        return path

    env = environment()
    language_posts = QUICK_SIZE if args.quick else LANGUAGE_POSTS
    if args.languages_only:
        return languages_only(language_posts, scratch, base, args.keep, env)
    print(f"tidings {env['tidings']} · mkdocs {env['mkdocs']} · mkdocs-material "
          f"{env['mkdocs-material']} · Python {env['python']} · {env['cpus']} CPUs · "
          f"load {env['load_average']} · work dir {base}")
    try:
        print("\n1. Site build (fresh process each; s = wall, cpu = user + system seconds)")
        print(f"{'':>6} {'--------- tidings ---------':>27} {'---- Material blog plugin ---':>27}"
              f" {'- speed-up -':>17}")
        print(f"{'N':>6} {'s':>9} {'cpu s':>9} {'peak MB':>7} {'s':>9} {'cpu s':>9} "
              f"{'peak MB':>7} {'wall':>8} {'cpu':>8} {'load':>5}")
        sites = [bench_site(make_posts(n), scratch) for n in sizes]
        print(f"\n2. check on {check_files} files")
        chk = bench_check(check_files, scratch)
        print(f"\n3. Live preview, one-file edit at {serve_posts} posts")
        srv = bench_serve(serve_posts, scratch)
        print(f"\n4. Languages: {language_posts} posts in five languages vs one language")
        lang = bench_languages(make_posts(language_posts), scratch, write_tidings_repo,
                               build_tidings_repo, fail)
    finally:
        if args.keep:
            print(f"\nKept generated repos and sites in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    rows = summary_rows(sites, chk, srv, lang)
    print_summary(rows)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / ("site-quick.json" if args.quick else "site.json")
    report = {"environment": env, "sites": [asdict(s) for s in sites], "check": asdict(chk),
              "serve": asdict(srv), "languages": asdict(lang), "summary": [asdict(r) for r in rows]}
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nWrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
