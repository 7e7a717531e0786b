"""``new KIND TITLE``: its arguments and what it prints (the rules live in tidings.content.new)."""

from __future__ import annotations

import argparse

from tidings.content.kinds import KINDS

HELP = "write a new content file with valid front matter (announcement, topic, …) and print its path"


def add_new_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``new`` command's arguments."""
    parser.add_argument("kind", metavar="KIND", help=f"one of: {', '.join(k.name for k in KINDS)}")
    parser.add_argument("title", metavar="TITLE", help="the title (a newsletter's subject)")
    parser.add_argument("--date", metavar="DATE", help="ISO date or date-time: when it is public, starts, "
                        "is sent or opens (default: today; an event or issue a week from today)")
    parser.add_argument("--week", metavar="WEEK", help="a topic's ISO week, e.g. 2027-W03 (default: the "
                        "next week without a topic)")
    parser.add_argument("--lang", metavar="CODE", help="the language of an item written in one language only")
    parser.add_argument("--draft", action="store_true", help="write 'draft: true' (kept off the site)")
    parser.add_argument("--host", metavar="TEXT", help="a topic's host: 'Name, role'")
    parser.add_argument("--of", metavar="PATH", help="write the --lang translation of this source file "
                        "(its words to translate, next to it as x.LANG.md)")
    parser.add_argument("--slug", metavar="NAME", help="the file name without .md (default: from the title)")


def cmd_new(args: argparse.Namespace) -> int:
    """Write the file and print its repo-relative path."""
    from tidings.content.new import NewFile, new_file

    request = NewFile(args.kind, args.title, date=args.date, week=args.week, lang=args.lang,
                      draft=args.draft, host=args.host, slug=args.slug, of=args.of)
    print(new_file(args.root, request))
    return 0
