"""Where the running tidings came from, as a requirement a new community repo can install.

No package index has tidings yet, so ``tidings>=0.1.0`` cannot install. The scaffold asks for
the source this tidings was installed from instead (PEP 610 ``direct_url.json``): a VCS URL
pinned to its commit, an archive URL, a local folder, or — installed from an index — that
exact version.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import tidings

PACKAGE = "tidings"


@dataclass(frozen=True)
class Requirement:
    """A requirement line for tidings, and whether a CI runner could install it."""

    line: str
    reachable_from_ci: bool  # False for a folder or file on this machine
    note: str = ""


def from_direct_url(direct_url: str | None, version: str) -> Requirement:
    """The requirement that reinstalls a distribution described by its ``direct_url.json`` text."""
    if not direct_url:
        return Requirement(f"{PACKAGE}=={version}", True)  # it came from an index: that version
    data = json.loads(direct_url)
    url: str = data["url"]
    subdirectory = data.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    if "vcs_info" in data:
        vcs = data["vcs_info"]
        return Requirement(f"{PACKAGE} @ {vcs['vcs']}+{url}@{vcs['commit_id']}{fragment}",
                           not url.startswith("file:"))
    if "archive_info" in data:
        hashes = data["archive_info"].get("hashes", {})
        digest = f"#sha256={hashes['sha256']}" if "sha256" in hashes and not fragment else fragment
        return Requirement(f"{PACKAGE} @ {url}{digest}", not url.startswith("file:"))
    return _from_folder(Path(_file_path(url)) / (subdirectory or ""))


def _file_path(url: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(url).path)


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _from_folder(folder: Path) -> Requirement:
    """A source checkout: its remote pinned to HEAD when it has one, else the folder itself."""
    folder = folder.resolve()
    remote = _git(folder, "remote", "get-url", "origin")
    commit = _git(folder, "rev-parse", "HEAD")
    # Only a commit some origin branch contains can be installed from there (no network asked).
    pushed = bool(commit) and bool(_git(folder, "branch", "-r", "--contains", commit))
    if remote and pushed and not remote.startswith(("/", "file:", ".")):
        if remote.startswith("git@") and ":" in remote:  # scp-like syntax pip does not read
            host, _, path = remote[len("git@"):].partition(":")
            remote = f"ssh://git@{host}/{path}"
        note = (f"tidings is pinned to commit {commit[:12]} of {remote}; the changes not committed "
                "in that checkout are not part of it") if _git(folder, "status", "--porcelain") else ""
        return Requirement(f"{PACKAGE} @ git+{remote}@{commit}", True, note)
    return Requirement(f"{PACKAGE} @ {folder.as_uri()}", False,
                       f"requirements.txt installs tidings from the folder {folder}, which only this "
                       "machine has: before the workflows run, replace it with a URL they can reach "
                       "(e.g. tidings @ git+https://…@COMMIT)")


def _running_checkout() -> Path | None:
    """The source checkout the running package is imported from (``src/tidings``), if any."""
    package = Path(tidings.__file__).resolve().parent
    root = package.parent.parent
    if package.parent.name != "src" or not (root / "pyproject.toml").is_file():
        return None
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return root if project.get("name") == PACKAGE else None


def running_requirement() -> Requirement:
    """The requirement that installs the tidings running now."""
    checkout = _running_checkout()
    if checkout is not None:  # imported from a checkout (editable install, PYTHONPATH): that source
        return _from_folder(checkout)
    try:
        distribution = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        return Requirement(f"{PACKAGE}=={tidings.__version__}", True)
    return from_direct_url(distribution.read_text("direct_url.json"), distribution.version)
