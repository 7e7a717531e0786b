"""Run the site engine (MkDocs) on a staged tree, aside, and swap the result in atomically."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tidings.content import load
from tidings.embargo import public_view
from tidings.errors import BuildError
from tidings.files import swap_directory
from tidings.process_env import scoped_environ
from tidings.site import preview_hooks
from tidings.site.fingerprint import (
    FINGERPRINT_FILE,
    hooks,
    published_fingerprint,
    staged_fingerprint,
)
from tidings.site.stage import stage

# MkDocs stamps the sitemap's lastmod dates and the sitemap.xml.gz header time itself;
# ``deterministic_env`` pins both to T.


@dataclass
class BuildResult:
    site_dir: Path
    pages: int
    warnings: list[str] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "'dirty' build" not in message:  # serve asks for dirty builds on purpose
            self.messages.append(message)


def deterministic_env(as_of: datetime) -> contextlib.AbstractContextManager[None]:
    """Pin the engine's build date to T, so the same sources and T give the same bytes."""
    return scoped_environ({"SOURCE_DATE_EPOCH": str(int(as_of.timestamp())), "NO_MKDOCS_2_WARNING": "1"})


def run_mkdocs(config_file: Path, as_of: datetime, *, strict: bool = False,
               dirty: bool = False, jinja_cache: Path | None = None) -> list[str]:
    """``mkdocs build`` in-process; return its warnings; raise BuildError if it fails.

    ``jinja_cache``: a folder where the theme's compiled templates are kept between builds.
    """
    from mkdocs import exceptions
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        with deterministic_env(as_of), preview_hooks.bytecode_cache(jinja_cache):
            config = load_config(str(config_file), strict=strict)
            build(config, dirty=dirty)
    except exceptions.Abort as exc:
        details = "".join(f"\n  {m}" for m in handler.messages)
        raise BuildError(f"site engine stopped: {exc}{details}") from None
    except exceptions.MkDocsException as exc:
        raise BuildError(f"site engine failed: {exc}") from None
    finally:
        logger.removeHandler(handler)
    return handler.messages


def build_site(root: Path, as_of: datetime, out: Path | None = None, *,
               strict: bool = False) -> BuildResult:
    """Build the public site of the repo at ``root`` as it must look at ``as_of``.

    The site is built next to ``out`` and swapped in only when the build succeeded, so a failed
    build leaves the previous site untouched.
    """
    result = _build(root, as_of, out, strict=strict, published=None)
    assert result is not None  # only a build that knows a published fingerprint is skipped
    return result


def build_if_changed(root: Path, as_of: datetime, source: str, out: Path | None = None, *,
                     strict: bool = False) -> tuple[BuildResult | None, str]:
    """Build unless the view's fingerprint equals the one at ``source``; None when skipped."""
    published, where = published_fingerprint(root, source)
    return _build(root, as_of, out, strict=strict, published=published), where


def _build(root: Path, as_of: datetime, out: Path | None, *, strict: bool,
           published: str | None) -> BuildResult | None:
    """Stage the as-of view once; stop there when it hashes to ``published``, else build it."""
    root = root.resolve()
    community = load(root)
    view = public_view(community, as_of)
    out = (out or root / "site").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    state = root / ".tidings"
    state.mkdir(exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        stage_dir = Path(tempfile.mkdtemp(prefix="stage-", dir=state))
        jinja_cache = state / "cache" / "jinja"
        jinja_cache.mkdir(parents=True, exist_ok=True)
        try:
            config_file, _ = stage(view, stage_dir, building, hooks=hooks())
            fingerprint = staged_fingerprint(stage_dir, building, as_of)
            if fingerprint == published:
                shutil.rmtree(building, ignore_errors=True)
                return None
            warnings = run_mkdocs(config_file, as_of, strict=strict, jinja_cache=jinja_cache)
            # Published with the site: the next scheduled build compares against it.
            (building / FINGERPRINT_FILE).write_text(fingerprint + "\n", encoding="ascii")
        finally:
            shutil.rmtree(stage_dir, ignore_errors=True)
        pages = sum(1 for _ in building.rglob("index.html"))
        swap_directory(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return BuildResult(out, pages, warnings)
