"""Commands the CLI tells people to run next, written so that they work as printed."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import tidings


def python_for(folder: Path) -> str:
    """``python`` when it runs this tidings in ``folder``, else the interpreter running now.

    ``python`` on the PATH is often another interpreter (pyenv, pipx, a system Python) that
    has no tidings: a hint naming it fails with "No module named 'tidings'".
    """
    python = shutil.which("python")
    if python is not None:
        try:
            # Same environment (its dependencies) and the same tidings (PYTHONPATH, editable).
            found = subprocess.run([python, "-c", "import sys, tidings; print(sys.prefix); "
                                    "print(tidings.__file__)"], cwd=folder,
                                   capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            found = None
        if found is not None and found.returncode == 0:
            prefix, _, module = found.stdout.strip().partition("\n")
            if Path(prefix).resolve() == Path(sys.prefix).resolve() and \
                    Path(module).resolve() == Path(tidings.__file__).resolve():
                return "python"
    return shlex.quote(sys.executable)


def build_command(root: Path, command: str) -> str:
    """A shell line running ``build.py COMMAND`` on ``root`` from the current folder."""
    here = "" if root.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(str(root))} && "
    return f"{here}{python_for(root)} build.py {command}"
