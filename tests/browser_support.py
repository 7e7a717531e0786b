"""Helpers for the browser tests (tests/test_browser.py): build, serve and drive the example site."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"

# The site is always built as it must look at this instant (so embargoes and "upcoming" are stable).
AS_OF = datetime(2026, 11, 23, 12, tzinfo=UTC)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Resolve no host but the local server, so nothing leaves 127.0.0.1: not the theme's Google
    # Fonts <link rel="preconnect"> (which request routing cannot stop), nor Chromium's own calls.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 375, "height": 740},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}

UTC_OFFSET = re.compile(r"UTC[+-]\d\d:\d\d")


def chromium_path() -> str:
    """Debian's Chromium, or skip (fail on CI, which must run these tests)."""
    path = shutil.which("chromium")
    if path is None:
        reason = "browser tests need Debian's chromium on PATH (`apt-get install chromium`)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {reason}", pytrace=False)
        pytest.skip(reason)
    return path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@dataclass
class LocalSite:
    directory: Path
    base_url: str  # "http://127.0.0.1:PORT" (no trailing slash)

    def url(self, path: str) -> str:
        return self.base_url + path

    def get(self, path: str) -> tuple[int, bytes]:
        """GET a path from the local server with urllib: (status, body); 4xx/5xx do not raise."""
        try:
            with urllib.request.urlopen(self.url(path), timeout=10) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


@contextmanager
def serve(directory: Path) -> Iterator[LocalSite]:
    """Serve ``directory`` on 127.0.0.1 (a free port) from a daemon thread."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield LocalSite(directory, f"http://{host}:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def front_matter(path: Path) -> dict[str, Any]:
    """The YAML front matter of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\s*\n(.*?)\n---\s*\n", text, re.S)
    assert match, f"{path} has no front matter"
    data = yaml.safe_load(match.group(1))
    assert isinstance(data, dict)
    return data


def as_datetime(value: Any) -> datetime:
    """A front-matter date (date, naive or aware datetime, or string) as an aware datetime.

    Naive values are read as UTC: good enough to tell 2026 from 2027, which is all the tests need.
    """
    if isinstance(value, datetime):
        moment = value
    elif hasattr(value, "year"):
        moment = datetime(value.year, value.month, value.day)
    else:
        moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def has_no_horizontal_scroll(page: Any) -> tuple[bool, int, int]:
    """(ok, scrollWidth, innerWidth): the document is no wider than the viewport (1px tolerance)."""
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    return scroll_width <= inner_width + 1, scroll_width, inner_width


def wider_than_viewport(page: Any) -> list[str]:
    """Describe the elements that stick out of the viewport on the right (to explain a failure)."""
    return page.evaluate(
        """() => {
            const out = [];
            for (const el of document.querySelectorAll("body *")) {
                const r = el.getBoundingClientRect();
                if (r.width && r.right > window.innerWidth + 1) {
                    const cls = typeof el.className === "string" && el.className
                        ? "." + el.className.trim().split(/\\s+/).join(".") : "";
                    out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls}`
                             + ` right=${Math.round(r.right)}`);
                }
                if (out.length >= 10) break;
            }
            return out;
        }"""
    )



# --- fixtures shared by the browser test modules (each imports them: site, context, page) ---------

all_viewports = pytest.mark.parametrize("viewport", list(VIEWPORTS))


@pytest.fixture(scope="session", name="site")
def site_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    """The example community's site, built once at AS_OF and served on 127.0.0.1."""
    from tidings.site.engine import build_site

    result = build_site(REPO_ROOT, AS_OF, tmp_path_factory.mktemp("browser") / "site")
    with serve(result.site_dir) as local:
        yield local


@pytest.fixture(name="context")
def context_fixture(browser: Any, site: LocalSite, viewport: str) -> Iterator[Any]:
    """A fresh context at the test's viewport that can only reach the local site."""
    ctx = browser.new_context(base_url=site.base_url, **VIEWPORTS[viewport])
    ctx.set_default_timeout(10_000)

    def local_only(route: Any) -> None:
        if route.request.url.startswith(site.base_url + "/"):
            route.continue_()
        else:
            route.abort()

    ctx.route("**/*", local_only)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture(name="page")
def page_fixture(context: Any, request: pytest.FixtureRequest, viewport: str) -> Iterator[Any]:
    """A page in that context; a screenshot of what it shows is saved when the test ends."""
    import playwright.sync_api as playwright_api

    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # A page that crashed has nothing to show; the test itself reports the real problem.
    with contextlib.suppress(playwright_api.Error):
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.originalname}-{viewport}.png"))


def playwright_sync_api() -> Any:
    """``playwright.sync_api``, at a browser test module's import; without playwright the module is
    skipped, except on CI, which must run the browser tests."""
    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("browser tests need playwright (pip install -e '.[test]')", allow_module_level=True)
    return playwright_api
