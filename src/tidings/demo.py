"""``demo``: on a fresh clone, build the example community's site and say where to look."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tidings.content import load
from tidings.embargo import public_view
from tidings.site.engine import build_site


def run_demo(root: Path) -> int:
    """Check the example community, build its site, and print what to open next."""
    root = root.resolve()
    now = datetime.now(UTC).replace(microsecond=0)
    community = load(root)
    view = public_view(community, now)
    embargoed = [a for a in community.announcements if a not in view.announcements and not a.draft]
    result = build_site(root, now)
    print(f"tidings demo: {community.config.name}")
    print(f"  checked {len(community.entries())} content files: no problems")
    print(f"  built the public site as of {now.isoformat()} ({result.pages} pages)")
    for item in embargoed:
        print(f"  embargoed until {item.date.isoformat()}: '{item.title}' (not on the site yet)")
    print()
    print(f"  site:     {result.site_dir / 'index.html'}")
    print(f"  calendar: {result.site_dir / 'events.ics'}")
    print(f"  feeds:    {result.site_dir / 'feed.xml'}, {result.site_dir / 'atom.xml'}")
    print()
    print("  Browse it with live reload:  python build.py serve   (then open http://127.0.0.1:8000/)")
    print("  or serve the built files:     python -m http.server -d site 8000 --bind 127.0.0.1")
    return 0
