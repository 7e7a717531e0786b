"""``python build.py COMMAND`` runs tidings on this community repo (see ``python build.py -h``)."""

import sys

from tidings.cli import main

if __name__ == "__main__":
    sys.exit(main())
