"""Live preview: restage and rebuild only what changed whenever a content file changes."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tidings.content import check
from tidings.content.kinds import KINDS
from tidings.content.loader import EntryCache
from tidings.embargo import public_view
from tidings.errors import ContentError, TidingsError
from tidings.files import write_atomic
from tidings.site import preview_hooks
from tidings.site.engine import run_mkdocs
from tidings.site.stage import stage

log = logging.getLogger("tidings.serve")
# The top folder of every kind's files (newsletter templates included), then the site's own files.
WATCHED = (*dict.fromkeys(kind.folder.split("/")[0] for kind in KINDS),
           "templates", "assets", "mkdocs.yml", "pyproject.toml")


class Preview:
    """The preview site under ``.tidings/serve``; ``rebuild`` is called on every change."""

    def __init__(self, root: Path, site_url: str, as_of: datetime | None = None) -> None:
        self.root = root.resolve()
        self.site_url = site_url
        self.as_of = as_of
        state = self.root / ".tidings" / "serve"
        self.stage_dir = state / "stage"
        self.site_dir = state / "site"
        self.jinja_cache = state / "jinja"
        self.jinja_cache.mkdir(parents=True, exist_ok=True)
        self.search: dict[str, list[dict[str, Any]]] = {}
        self.cache = EntryCache()

    def rebuild(self, *, full: bool = False) -> float:
        """Restage and build; return seconds taken. Content errors are printed, the old site stays."""
        started = time.perf_counter()
        community, problems = check(self.root, history=False, cache=self.cache)
        for problem in problems:
            print(problem, flush=True)
        if community is None or any(p.severity == "error" for p in problems):
            print("Not rebuilt: fix the problems above.", flush=True)
            return time.perf_counter() - started
        as_of = self.as_of or datetime.now(UTC).replace(microsecond=0)
        hooks = [str(Path(preview_hooks.__file__).resolve())]
        try:
            config_file, removed = stage(public_view(community, as_of), self.stage_dir, self.site_dir,
                                         site_url=self.site_url, hooks=hooks)
        except ContentError as exc:  # a broken page template: say where, keep the last good site
            for problem in exc.problems:
                print(problem, flush=True)
            print("Not rebuilt: fix the problems above.", flush=True)
            return time.perf_counter() - started
        for name in removed:
            if name.endswith(".md"):
                page = self.site_dir / name.removesuffix(".md").removesuffix("index") / "index.html"
                page.unlink(missing_ok=True)
        try:
            for warning in run_mkdocs(config_file, as_of, dirty=not full, jinja_cache=self.jinja_cache):
                print(f"warning: {warning}", flush=True)
        except TidingsError as exc:
            print(f"error: {exc}", flush=True)
        self._merge_search_index(full)
        return time.perf_counter() - started

    def _merge_search_index(self, full: bool) -> None:
        """A dirty build indexes only rebuilt pages: keep the other pages' entries from before."""
        index_file = self.site_dir / "search" / "search_index.json"
        if not index_file.exists():
            return
        index = json.loads(index_file.read_text(encoding="utf-8"))
        fresh: dict[str, list[dict[str, Any]]] = {}
        for doc in index.get("docs", []):
            fresh.setdefault(doc["location"].split("#")[0], []).append(doc)
        if full:
            self.search = fresh
            return
        self.search.update(fresh)
        self.search = {
            page: docs for page, docs in self.search.items()
            if (self.site_dir / page / "index.html").exists() or page == ""
        }
        index["docs"] = [doc for page in sorted(self.search) for doc in self.search[page]]
        write_atomic(index_file, json.dumps(index).encode("utf-8"), durable=False)


def serve(root: Path, host: str, port: int, *, as_of: datetime | None = None) -> None:
    """Serve the preview on http://host:port/ with live reload until interrupted."""
    from mkdocs.livereload import LiveReloadServer

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("mkdocs.commands.build").setLevel(logging.ERROR)
    preview = Preview(root, f"http://{host}:{port}/", as_of)
    took = preview.rebuild(full=True)
    print(f"Preview built in {took:.1f} s.", flush=True)

    def rebuild() -> None:
        print(f"Rebuilt in {preview.rebuild():.2f} s.", flush=True)

    server = LiveReloadServer(builder=rebuild, host=host, port=port, root=str(preview.site_dir))
    for name in WATCHED:
        if (preview.root / name).exists():
            server.watch(str(preview.root / name))
    print(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    try:
        server.serve()  # type: ignore[no-untyped-call]
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
