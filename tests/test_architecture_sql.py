"""All SQL lives in ``tidings/store/``; the command line parses and prints and holds no rules."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tidings"
STORE = PACKAGE / "store"
SQL_MODULES = ("sqlalchemy", "tidings.store.schema")
# Modules outside store/ allowed to import SQL anyway, each with its reason (none today).
EXCEPTIONS: dict[str, str] = {}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (type-checking blocks and functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _uses_sql(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == m or n.startswith(m + ".") for m in SQL_MODULES))


def test_no_module_outside_the_store_imports_sqlalchemy_or_the_schema() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(STORE):
            continue
        shown = path.relative_to(PACKAGE).as_posix()
        found = _uses_sql(_imports(path))
        if found and shown not in EXCEPTIONS:
            offenders[shown] = found
    assert offenders == {}


def test_the_architecture_check_sees_an_sql_import() -> None:
    sample = ast.parse("from sqlalchemy import select\n"
                       "if True:\n    from tidings.store.schema import answers\n")
    names = {node.module for node in ast.walk(sample) if isinstance(node, ast.ImportFrom) and node.module}
    assert _uses_sql(names) == ["sqlalchemy", "tidings.store.schema"]


def test_the_command_line_defines_no_subscriber_state_constants() -> None:
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    constants = [target.id for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
                 for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                 if isinstance(target, ast.Name) and target.id.isupper()]
    assert [name for name in constants if "STATE" in name] == []


def test_the_command_line_leaves_the_re_subscribe_decision_to_the_store() -> None:
    source = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    # The rule "a member who left can only come back through the sign-up form" is the store's.
    uses = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and node.attr in {"FINAL_STATES", "STATES"}]
    assert uses == []
