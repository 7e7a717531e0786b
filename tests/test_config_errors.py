"""A wrong setting is a ConfigError that names pyproject.toml, the line and the setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MakeRepo
from tidings.config import _FIELDS, load_config
from tidings.errors import ConfigError, ContentError, TidingsError

BAD_SETTINGS = """\
[tool.tidings]
name = "Canary Club"
timezone = "Europe/Berlim"
calendar_months = "six"
brand_colour = "#3f51b5"
"""


def _tidings(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), *args],
                          capture_output=True, text=True)


def test_a_bad_setting_raises_a_config_error_naming_its_line_and_field(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject=BAD_SETTINGS)
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    assert not isinstance(caught.value, ContentError)
    assert isinstance(caught.value, TidingsError) and caught.value.exit_code == 1
    found = [(p.path, p.line, p.field) for p in caught.value.problems]
    assert found == [("pyproject.toml", 3, "timezone"), ("pyproject.toml", 4, "calendar_months"),
                     ("pyproject.toml", 5, "brand_colour")]
    assert str(caught.value.problems[2]) == (
        "pyproject.toml:5: [tool.tidings] unknown setting 'brand_colour' (did you mean 'brand_color'?)")


def test_a_toml_syntax_error_is_a_config_error_with_its_line(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject='[tool.tidings]\nname = "Canary Club"\ntimezone = Europe/Helsinki\n')
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == ("pyproject.toml", 3)
    assert problem.message.startswith("TOML syntax error")


def test_an_environment_setting_error_carries_its_message_and_no_file_position() -> None:
    error = ConfigError("TIDINGS_SECRET is not set")
    assert str(error) == "TIDINGS_SECRET is not set" and error.problems == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.from_regex(r"[a-z][a-z0-9_-]{0,30}", fullmatch=True).filter(lambda k: k not in _FIELDS))
def test_any_unknown_setting_is_named_with_its_line(tmp_path: Path, key: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[tool.tidings]\nname = "X"\n{key} = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert [(p.path, p.line, p.field) for p in caught.value.problems] == [("pyproject.toml", 3, key)]


def test_check_prints_config_and_content_problems_in_one_run_without_traceback(
        make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": "---\ntitle: x\ndate: nope\n---\n"},
                     pyproject=BAD_SETTINGS)
    done = _tidings(root, "check")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "content/announcements/a.md:3: 'date': 'nope' is not an ISO 8601 date" in done.stdout
    for where in ("pyproject.toml:3: ", "pyproject.toml:4: ", "pyproject.toml:5: "):
        assert any(line.startswith(where) for line in lines), (where, done.stdout)
    assert "Traceback" not in done.stdout + done.stderr


def test_a_command_that_reads_the_settings_prints_each_bad_one_as_path_line_message(
        make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject=BAD_SETTINGS)
    done = _tidings(root, "site", "--as-of", "2026-11-23", "--out", str(root / "out"))
    assert done.returncode == 1
    assert "pyproject.toml:4: [tool.tidings] 'calendar_months' must be a int" in done.stderr
    assert "pyproject.toml:5: [tool.tidings] unknown setting 'brand_colour'" in done.stderr
    assert "error: " not in done.stderr and "Traceback" not in done.stdout + done.stderr
    assert not (root / "out").exists()
