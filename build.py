"""Entry point for a community repo: ``python build.py COMMAND ...`` (same as ``tidings``)."""

import sys
from pathlib import Path

# Run from a checkout without installing: prefer the package next to this file.
sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from tidings.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
