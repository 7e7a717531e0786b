"""One atomic file write for every file tidings writes: never half a file, never a stray temp."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tidings.files import write_atomic, write_if_changed
from tidings.site.tree import write_if_changed as tree_write_if_changed


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_a_failed_rename_leaves_the_old_file_untouched_and_no_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "answers.csv"
    target.write_bytes(b"old,content\n")

    def refuse(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")  # the disk refuses the rename

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_atomic(target, b"new,content\n" * 1000)
    assert target.read_bytes() == b"old,content\n"
    assert _leftovers(tmp_path, {"answers.csv"}) == []


@pytest.mark.parametrize("write", [write_atomic, write_if_changed, tree_write_if_changed])
def test_a_write_over_a_folder_fails_and_leaves_no_temp_file(tmp_path: Path, write: object) -> None:
    # A real failing rename: a file cannot replace a folder.
    target = tmp_path / "index.html"
    target.mkdir()
    (target / "kept").write_bytes(b"kept")
    with pytest.raises(OSError):
        write(target, b"<p>new</p>")  # type: ignore[operator]
    assert (target / "kept").read_bytes() == b"kept"
    assert _leftovers(tmp_path, {"index.html"}) == []


def test_write_atomic_replaces_the_whole_file_and_creates_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "file.bin"
    write_atomic(target, b"x" * 100_000)
    write_atomic(target, b"short")
    assert target.read_bytes() == b"short"
    assert _leftovers(target.parent, {"file.bin"}) == []


def test_write_if_changed_keeps_the_mtime_of_an_unchanged_file(tmp_path: Path) -> None:
    target = tmp_path / "page.md"
    assert write_if_changed(target, b"same")
    os.utime(target, (1_000_000, 1_000_000))
    assert not write_if_changed(target, b"same")
    assert target.stat().st_mtime == 1_000_000
    assert write_if_changed(target, b"other")
    assert target.read_bytes() == b"other"

