"""``site --if-changed``: build only when the as-of view differs from the one published.

The fingerprint is a hash of what would be staged (the docs tree, the theme overrides and
mkdocs.yml) plus the versions of tidings and the site engine. ``build_site`` writes it to
``site/.tidings-fingerprint``, so it is published with the site and a scheduled build can
fetch it back from the site's URL and skip a build that would change nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from tidings import __version__
from tidings.config import load_config
from tidings.content import load
from tidings.embargo import public_view
from tidings.errors import UsageError
from tidings.site import preview_hooks
from tidings.site.stage import stage

FINGERPRINT_FILE = ".tidings-fingerprint"
PUBLISHED = "published"  # --if-changed without a value: the fingerprint on the public site


def _versions() -> str:
    found = [f"tidings {__version__}"]
    for name in ("mkdocs", "mkdocs-material"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} ?")
    return "; ".join(found)


def hooks() -> list[str]:
    """The hooks every build stages (the fingerprint must see the same mkdocs.yml)."""
    return [str(Path(preview_hooks.__file__).resolve())]


def staged_fingerprint(stage_dir: Path, site_dir: Path, as_of: datetime) -> str:
    """Hash of a staged tree; its own temporary paths and the build time itself (the ICS
    DTSTAMP) are left out, so the same view staged at two moments hashes equal."""
    digest = hashlib.sha256(_versions().encode())
    utc = as_of.astimezone(UTC)
    places = [(str(stage_dir).encode(), b"<stage>"), (str(site_dir).encode(), b"<site>"),
              (utc.strftime("%Y%m%dT%H%M%SZ").encode(), b"<as-of>"),
              (as_of.isoformat().encode(), b"<as-of>"), (utc.isoformat().encode(), b"<as-of>")]
    for file in sorted(stage_dir.rglob("*")):
        if file.is_file():
            data = file.read_bytes()
            for path, placeholder in places:
                data = data.replace(path, placeholder)
            name = file.relative_to(stage_dir).as_posix().encode()
            digest.update(b"%d:%s:%d:" % (len(name), name, len(data)) + data)
    return digest.hexdigest()


def view_fingerprint(root: Path, as_of: datetime) -> str:
    """The fingerprint ``build_site(root, as_of)`` would publish, without running the engine."""
    root = root.resolve()
    view = public_view(load(root), as_of)
    state = root / ".tidings"
    state.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="fingerprint-", dir=state))
    try:
        stage_dir, site_dir = scratch / "stage", scratch / "site"
        stage(view, stage_dir, site_dir, hooks=hooks())
        return staged_fingerprint(stage_dir, site_dir, as_of)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def published_fingerprint(root: Path, source: str) -> tuple[str | None, str]:
    """The fingerprint found at ``source`` (``published``, a URL or a file) and where it was read."""
    if source == PUBLISHED:
        source = load_config(root).site_url.rstrip("/") + "/" + FINGERPRINT_FILE
    if source.startswith(("http://", "https://")):
        try:
            # Past any CDN cache (GitHub Pages keeps pages 10 minutes): a stale answer only
            # costs a build, but asking for the current one costs nothing.
            request = urllib.request.Request(source, headers={"Cache-Control": "no-cache"})
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http(s) only
                text = response.read(200).decode("ascii", "replace")
        except (urllib.error.URLError, OSError, ValueError):
            return None, source  # not published yet, or unreachable: build
    elif "://" in source:
        raise UsageError(f"--if-changed: {source} is neither an http(s) URL nor a file")
    else:
        try:
            text = Path(source).read_text(encoding="ascii", errors="replace")
        except OSError:
            return None, source
    return text.strip() or None, source


def tell_actions(built: bool) -> None:
    """On GitHub Actions, set the step output ``built`` so later steps can skip publishing."""
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(f"built={'true' if built else 'false'}\n")
