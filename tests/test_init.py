"""`init DIR` scaffolds a community repo that checks and builds right away."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import yaml

from tidings.scaffold import init


def test_init_creates_a_repo_that_checks_and_builds(tmp_path: Path) -> None:
    target = tmp_path / "harbour-friends"
    done = subprocess.run([sys.executable, "-m", "tidings", "init", str(target)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in ("content/announcements", "content/events", "guidelines", "newsletters",
                 "mkdocs.yml", "pyproject.toml", "build.py", ".gitignore",
                 ".github/workflows/site.yml"):
        assert (target / name).exists(), name
    assert "[tool.tidings]" in (target / "pyproject.toml").read_text()
    assert 'name = "Harbour Friends"' in (target / "pyproject.toml").read_text()
    gitignore = (target / ".gitignore").read_text().split()
    assert "/site/" in gitignore and "/.tidings/" in gitignore
    check = subprocess.run([sys.executable, "build.py", "check"], cwd=target,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    site = subprocess.run([sys.executable, "build.py", "site"], cwd=target,
                          capture_output=True, text=True)
    assert site.returncode == 0, site.stdout + site.stderr
    assert (target / "site/index.html").exists()
    assert (target / "site/guidelines/code-of-conduct/index.html").exists()


def test_scaffolded_workflow_publishes_on_push_and_every_day(tmp_path: Path) -> None:
    init(tmp_path / "c", name="C", today=date(2026, 11, 23))
    workflow = yaml.safe_load((tmp_path / "c/.github/workflows/site.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    cron = triggers["schedule"][0]["cron"].split()
    assert len(cron) == 5 and cron[2:] == ["*", "*", "*"]  # once a day, every day
    steps = [s.get("run", "") for s in workflow["jobs"]["build"]["steps"]]
    assert "python build.py check" in steps and "python build.py site" in steps
    assert workflow["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages")


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    done = subprocess.run([sys.executable, "-m", "tidings", "init", str(tmp_path / "x")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "is not empty" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "x" / "notes.txt").read_text() == "mine"


def test_scaffold_schedules_sending_and_brings_feedback_home(tmp_path: Path) -> None:
    init(tmp_path / "c", name="C", today=date(2026, 11, 23))
    send = yaml.safe_load((tmp_path / "c/.github/workflows/send.yml").read_text())
    assert send[True]["schedule"][0]["cron"] == "*/15 * * * *"
    assert send["jobs"]["due"]["steps"][-1]["run"] == "python build.py newsletter due"
    feedback = yaml.safe_load((tmp_path / "c/.github/workflows/feedback.yml").read_text())
    assert "schedule" in feedback[True]
    runs = [step.get("run", "") for step in feedback["jobs"]["export"]["steps"]]
    assert "python build.py feedback export" in runs
    assert any("git add feedback/" in run and "git push" in run for run in runs)
    assert feedback["permissions"] == {"contents": "write"}
