"""The staged docs tree on disk: which assets may be published, and writes that keep mtimes."""

from __future__ import annotations

import shutil
from pathlib import Path

from tidings.content.loader import body_links, resolve_link
from tidings.content.model import Entry, Newsletter
from tidings.embargo import PublicView
from tidings.files import write_if_changed as write_if_changed  # stage imports it here


def asset_references(entry: Entry) -> set[str]:
    """Repo paths under assets/ an item uses (its image and links or images in its body)."""
    found = set()
    image = getattr(entry, "image", None)
    if isinstance(image, str) and image.startswith("assets/"):
        found.add(image)
    for _, _, target in body_links(entry):
        resolved = resolve_link(entry.path, target)
        if resolved and resolved[0].startswith("assets/"):
            found.add(resolved[0])
    return found


def embargoed_assets(view: PublicView) -> set[str]:
    """Assets used only by items that are not public yet: a picture can give the news away."""
    public = view.paths
    used_publicly: set[str] = set()
    used_privately: set[str] = set()
    for entry in view.community.entries():
        if isinstance(entry, Newsletter):
            continue  # newsletter images are fetched from the site by mail clients
        refs = asset_references(entry)
        (used_publicly if entry.path in public else used_privately).update(refs)
    logo = view.community.config.logo
    if logo:
        used_publicly.add(logo.lstrip("/"))
    return used_privately - used_publicly


def sync_tree(dest: Path, files: dict[str, str | bytes]) -> list[str]:
    """Make ``dest`` hold exactly ``files``: write changed ones, delete the rest (returned)."""
    removed = []
    dest.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        # No fsync: the staged tree is rebuilt from the sources at every build.
        write_if_changed(dest / name, data, durable=False)
    wanted = set(files)
    for path in sorted(dest.rglob("*"), reverse=True):
        name = path.relative_to(dest).as_posix()
        if path.is_file() and name not in wanted:
            path.unlink()
            removed.append(name)
        elif path.is_dir() and not any(path.iterdir()):
            shutil.rmtree(path)
    return removed
