"""The package keeps its floors: no import cycle, every import points down, and the size limits hold.

Every module under src/tidings is read with ``ast``; an import counts wherever it stands (top
level, inside a function, under ``TYPE_CHECKING``), because a lazy import still ties two modules.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT

SRC = REPO_ROOT / "src"

# The floors, lowest first. A module may import its own floor and any floor below it.
# Longest prefix wins; a module that matches no row fails test_every_module_has_a_floor.
BASE, CONTENT, CORE, STORE, OUTPUT, COMMAND = range(6)
FLOOR_NAMES = {BASE: "base", CONTENT: "content", CORE: "core", STORE: "store",
               OUTPUT: "output", COMMAND: "command"}
FLOORS: dict[str, int] = {
    # base: settings, the error tree, dates, outside-text rules, CSV files, install hints
    "tidings": BASE,
    "tidings.errors": BASE,
    "tidings.config": BASE,
    "tidings.dates": BASE,
    "tidings.inputs": BASE,
    "tidings.locales": BASE,
    "tidings.locale_data": BASE,   # the built-in labels of every language, as data
    "tidings.csvfiles": BASE,
    "tidings.hints": BASE,
    "tidings.install_source": BASE,
    "tidings.files": BASE,         # atomic writes
    "tidings.process_env": BASE,   # the one scoped place that sets environment variables
    "tidings.output": BASE,        # lines and exit status a command returns for the CLI to print
    # content: the community's files read into the model
    "tidings.content": CONTENT,
    # core: what every output reads, owned by none of them
    "tidings.embargo": CORE,       # the as-of view and the embargo's asset rule
    "tidings.calendar": CORE,      # occurrences, iCalendar file, VTIMEZONE
    "tidings.labels": CORE,        # words and date formats in the community's language
    "tidings.issue": CORE,         # what one newsletter issue contains
    "tidings.tokens": CORE,        # signed links
    "tidings.urls": CORE,          # where each item lives on the site
    "tidings.delivery": CORE,      # header lines, transports (SMTP, Maildir), the plain confirmation mail
    # store: all SQL
    "tidings.store": STORE,
    # outputs: each its own package; none imports another
    "tidings.site": OUTPUT,
    "tidings.mail": OUTPUT,
    "tidings.collector": OUTPUT,
    "tidings.feedback": OUTPUT,
    "tidings.followups": OUTPUT,   # the team's follow-ups: list, show, answer by mail
    "tidings.report": OUTPUT,      # the monthly report's figures, charts and files
    "tidings.mailbox": OUTPUT,     # the reply mailbox: replies, ARF and DSN reports
    # commands: parse arguments and put outputs together
    "tidings.cli": COMMAND,
    "tidings.cli_parser": COMMAND,
    "tidings.plan": OUTPUT,
    "tidings.cli_new": COMMAND,
    "tidings.__main__": COMMAND,
    "tidings.repo_check": COMMAND,
    "tidings.demo": COMMAND,
    "tidings.monthly_report": COMMAND,  # joins the report, the content model and the plan
    "tidings.scaffold": COMMAND,
}

# Edges between outputs that remain, each to be removed by giving the part a room of its own.
# The test fails when one disappears, so the list only shrinks.
KNOWN_CROSS_OUTPUT: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module


def _is_package_dir(folder: Path) -> bool:
    """A folder of importable modules (``scaffold/`` holds a template file, not a package)."""
    while folder != SRC:
        if not (folder / "__init__.py").exists():
            return False
        folder = folder.parent
    return True


def _modules() -> dict[str, Module]:
    found = {}
    for path in sorted((SRC / "tidings").rglob("*.py")):
        if not _is_package_dir(path.parent):
            continue
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


MODULES = _modules()


def _owner(name: str) -> str:
    """The module that holds ``name`` (``tidings.content.model.Entry`` → ``tidings.content.model``)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _targets(module: Module, node: ast.Import | ast.ImportFrom) -> set[str]:
    """Modules of tidings that one import statement ties ``module`` to."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.name.split(".")
            if module.path.name != "__init__.py":
                package.pop()
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, *([base] if base else [])])
        # ``from pkg import sub`` ties to the submodule; ``from pkg import thing`` to the package
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    return {_owner(n) for n in names if n == "tidings" or n.startswith("tidings.")} - {module.name}


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in MODULES.values():
        graph[module.name] = set()
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[module.name] |= _targets(module, node)
    return graph


IMPORTS = _imports()


def floor_of(name: str) -> int | None:
    prefixes = [p for p in FLOORS if name == p or name.startswith(p + ".")]
    return FLOORS[max(prefixes, key=len)] if prefixes else None


def output_of(name: str) -> str:
    """The output package a module belongs to (``tidings.mail.render`` → ``tidings.mail``)."""
    return ".".join(name.split(".")[:2])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_the_import_reader_sees_lazy_imports_and_submodules() -> None:
    assert "tidings.content.model" in IMPORTS["tidings.embargo"]
    assert "tidings.mail.issue_checks" in IMPORTS["tidings.repo_check"]  # imported inside a function
    assert "tidings.content" in IMPORTS["tidings.repo_check"]  # ``from tidings.content import check``
    # ``from tidings.content import model`` needs the submodule, not the package's own names
    assert "tidings.content.model" in IMPORTS["tidings.content.schema"]
    assert "tidings.content" not in IMPORTS["tidings.content.schema"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_has_a_floor() -> None:
    assert [name for name in MODULES if floor_of(name) is None] == []


def test_no_module_imports_itself_back_through_others() -> None:
    assert _cycles(IMPORTS) == []


def test_every_import_points_to_the_same_floor_or_below() -> None:
    upward = []
    for name, targets in sorted(IMPORTS.items()):
        for target in sorted(targets):
            here, there = floor_of(name), floor_of(target)
            if here is not None and there is not None and there > here:
                upward.append(f"{name} ({FLOOR_NAMES[here]}) -> {target} ({FLOOR_NAMES[there]})")
    assert upward == []


def test_an_output_never_imports_another_output() -> None:
    across = {(name, target) for name, targets in IMPORTS.items() for target in targets
              if floor_of(name) == OUTPUT and floor_of(target) == OUTPUT
              and output_of(name) != output_of(target)}
    assert sorted(across - KNOWN_CROSS_OUTPUT) == [], "an output imports another output"
    assert sorted(KNOWN_CROSS_OUTPUT - across) == [], "gone: remove it from KNOWN_CROSS_OUTPUT"


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _source_files() -> list[Path]:
    return sorted((SRC / "tidings").rglob("*.py"))


def _long_functions() -> list[str]:
    found = []
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_module_is_over_400_lines() -> None:
    long = [f"{path.relative_to(SRC)} ({n} lines)" for path in _source_files()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert long == []


def test_no_function_is_over_60_lines() -> None:
    assert _long_functions() == []
