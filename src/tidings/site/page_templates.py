"""The site's page templates: jinja2 writing Markdown, overridable by a community.

A community puts its own ``templates/site/NAME.md.j2`` in the repo; it replaces tidings'
template of that name and may extend it as ``tidings/NAME.md.j2`` to change one block only.
"""

from __future__ import annotations

import difflib
import functools
import html
import sys
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from tidings import errors
from tidings.errors import ContentError, Problem
from tidings.site.markdown_text import md

OVERRIDES = Path("templates") / "site"
DEFAULTS = "templates/site"


def page_environment(root: Path) -> jinja2.Environment:
    """Templates from the repo's ``templates/site/`` first, then tidings' own (also as ``tidings/``).

    One environment per repo and set of override files, so a rebuild reuses compiled templates
    (an edited override is reloaded; an added or removed one gives a new environment).
    """
    overrides = root / OVERRIDES
    names = tuple(sorted(str(p) for p in overrides.rglob("*.j2"))) if overrides.is_dir() else ()
    return _environment(root, names)


@functools.lru_cache(maxsize=8)
def _environment(root: Path, override_files: tuple[str, ...]) -> jinja2.Environment:
    defaults = jinja2.PackageLoader("tidings", DEFAULTS)
    loaders: list[jinja2.BaseLoader] = []
    overrides = root / OVERRIDES
    if override_files:
        loaders.append(jinja2.FileSystemLoader(str(overrides)))
    loaders += [defaults, jinja2.PrefixLoader({"tidings": defaults})]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # Pages are Markdown: values are escaped for Markdown by the `md` filter, not for HTML.
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
    )
    env.filters["md"] = md
    # html.escape, not jinja's `e`: the pages were written with it, and it spells ' as &#x27;.
    env.filters["html"] = html.escape
    return env


def override_problems(root: Path) -> list[Problem]:
    """Every override that does not compile or names no site template (``_name`` files are partials)."""
    overrides = root / OVERRIDES
    if not overrides.is_dir():
        return []
    known = sorted(p.name for p in resources.files("tidings").joinpath(DEFAULTS).iterdir()
                   if p.name.endswith(".j2"))
    env = page_environment(root)
    problems = []
    for file in sorted(overrides.rglob("*.j2")):
        name = file.relative_to(overrides).as_posix()
        where = file.relative_to(root).as_posix()
        if not file.name.startswith("_") and name not in known:
            # An unknown name would be ignored silently: a typo must not pass.
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f"; site templates: {', '.join(known)}"
            problems.append(Problem(where, 0, f"not a site template{hint}"))
            continue
        try:
            env.get_template(name)
        except jinja2.TemplateError as exc:
            problems.append(template_problem(root, exc, sys.exc_info()[2]))
    return problems


def render_page(env: jinja2.Environment, root: Path, name: str, context: dict[str, Any]) -> str:
    """Render one page template; a template error becomes ``file:line: template error: …``."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateError as exc:
        raise ContentError([template_problem(root, exc, sys.exc_info()[2])]) from None


def template_problem(root: Path, exc: Exception, tb: TracebackType | None) -> Problem:
    """Where in which page template a jinja error happened (file relative to the repo, line)."""
    return errors.template_problem(root, exc, tb, unknown="site template",
                                   builtin_prefix="tidings:templates/site/")
