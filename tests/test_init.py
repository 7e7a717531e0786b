"""`init DIR` scaffolds a community repo that checks and builds right away."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from tidings.cli import build_parser
from tidings.install_source import from_direct_url
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


def cron_minutes(field: str) -> list[int]:
    """The minutes a cron minute field names (``*``, ``a-b/n``, ``*/n``, lists)."""
    minutes: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        low, high = (0, 59) if span == "*" else (int(span.split("-")[0]), int(span.split("-")[-1]))
        if not step and "-" not in span and span != "*":
            high = low
        minutes.update(range(low, high + 1, int(step or 1)))
    return sorted(minutes)


def test_scaffolded_site_publishes_on_push_and_within_15_minutes_of_an_embargo(tmp_path: Path) -> None:
    init(tmp_path / "c", name="C", today=date(2026, 11, 23))
    workflow = yaml.safe_load((tmp_path / "c/.github/workflows/site.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    minute, *rest = triggers["schedule"][0]["cron"].split()
    assert rest == ["*", "*", "*", "*"]  # every hour of every day
    runs = cron_minutes(minute)
    gaps = [later - earlier for earlier, later in zip(runs, [*runs[1:], runs[0] + 60], strict=True)]
    assert max(gaps) <= 15, runs  # an item due at any minute is published within 15 minutes
    steps = {s.get("id", s.get("run", s.get("uses"))): s for s in workflow["jobs"]["build"]["steps"]}
    assert "python build.py check" in steps
    site = steps["site"]["run"]
    assert site.startswith("python build.py site") and "'schedule' && '--if-changed'" in site
    upload = next(s for s in steps.values() if str(s.get("uses", "")).startswith("actions/upload-pages"))
    assert "steps.site.outputs.built == 'true'" in upload["if"]  # a skipped build publishes nothing
    assert workflow["jobs"]["build"]["outputs"]["built"] == "${{ steps.site.outputs.built }}"
    assert "needs.build.outputs.built == 'true'" in workflow["jobs"]["deploy"]["if"]
    assert workflow["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages")


def test_every_command_the_scaffold_runs_exists_in_the_cli(tmp_path: Path) -> None:
    init(tmp_path / "c", name="C", today=date(2026, 11, 23))
    parser = build_parser()
    texts = [(tmp_path / "c/README.md").read_text()]
    for workflow in sorted((tmp_path / "c/.github/workflows").glob("*.yml")):
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            texts.extend(step.get("run", "") for step in job.get("steps", []))
    commands = []
    for text in texts:
        for line in text.splitlines():
            if "python build.py " in line:
                command = line.split("python build.py ", 1)[1].split("#")[0]
                # Both branches of an Actions expression `${{ c && 'a' || 'b' }}`.
                for variant in (re.sub(r"\$\{\{.*?&& '([^']*)' \|\| '([^']*)' \}\}", r"\1", command),
                                re.sub(r"\$\{\{.*?&& '([^']*)' \|\| '([^']*)' \}\}", r"\2", command)):
                    commands.append(shlex.split(variant))
    assert ["site", "--if-changed"] in commands and ["newsletter", "due"] in commands
    for argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"the scaffold runs `python build.py {' '.join(argv)}`, which the CLI refuses")


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


# -- the scaffold works as generated -------------------------------------------------------------
def init_cli(target: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tidings", "init", str(target)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_init_makes_a_git_repo_so_a_removed_rule_is_caught(tmp_path: Path) -> None:
    target = tmp_path / "c"
    done = init_cli(target, {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                             "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})
    assert done.returncode == 0, done.stderr
    head = subprocess.run(["git", "symbolic-ref", "--short", "HEAD"], cwd=target, capture_output=True,
                          text=True)
    assert head.stdout.strip() == "main"  # the site workflow publishes from main
    rules = target / "guidelines/code-of-conduct.md"
    text = rules.read_text()
    rules.write_text(text[:text.index("## Keep it on topic")])
    check = subprocess.run([sys.executable, "build.py", "check"], cwd=target, capture_output=True, text=True)
    assert check.returncode == 1
    assert "rule id 'on-topic' was published" in check.stdout + check.stderr


@pytest.mark.parametrize("python_on_path", ["this environment", "a python without tidings"])
def test_the_next_step_init_prints_works_as_printed(tmp_path: Path, python_on_path: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if python_on_path == "this environment":
        (bin_dir / "python").symlink_to(Path(sys.prefix) / "bin" / "python")
        path = f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin"
    else:
        system_python = Path("/usr/bin/python3")
        if not system_python.exists():
            pytest.skip("no system python3 to stand for a python without tidings")
        (bin_dir / "python").symlink_to(system_python)
        path = f"{bin_dir}:/usr/bin:/bin"
    env = {**os.environ, "PATH": path}
    target = tmp_path / ("new community" if python_on_path == "this environment" else "plain")
    done = init_cli(target, env)
    assert done.returncode == 0, done.stderr
    hint = done.stdout.split("Next: ", 1)[1].strip()
    assert hint.endswith("build.py site")
    if python_on_path == "this environment":
        assert " python build.py site" in hint
    followed = subprocess.run(["bash", "-c", hint], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
    assert followed.returncode == 0, followed.stdout + followed.stderr
    assert (target / "site/index.html").exists()


@pytest.mark.parametrize(("direct_url", "line", "reachable"), [
    (None, "tidings==0.3.1", True),
    ('{"url": "https://code.example.org/tidings.git", "vcs_info": {"vcs": "git", "commit_id": "'
     + "a" * 40 + '", "requested_revision": "main"}}',
     "tidings @ git+https://code.example.org/tidings.git@" + "a" * 40, True),
    ('{"url": "https://code.example.org/tidings-0.3.1.tar.gz", "archive_info": {"hashes": {"sha256": "'
     + "b" * 64 + '"}}}', "tidings @ https://code.example.org/tidings-0.3.1.tar.gz#sha256=" + "b" * 64, True),
    ('{"url": "file:///opt/src/tidings-0.3.1-py3-none-any.whl", "archive_info": {}}',
     "tidings @ file:///opt/src/tidings-0.3.1-py3-none-any.whl", False),
])
def test_the_requirement_names_the_source_tidings_was_installed_from(
        direct_url: str | None, line: str, reachable: bool) -> None:
    requirement = from_direct_url(direct_url, "0.3.1")
    assert (requirement.line, requirement.reachable_from_ci) == (line, reachable)


def test_a_checkout_with_a_remote_is_required_at_its_commit(tmp_path: Path) -> None:
    checkout = tmp_path / "tidings"
    checkout.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    for args in (["init", "-q"], ["remote", "add", "origin", "git@code.example.org:club/tidings.git"],
                 ["commit", "-q", "--allow-empty", "-m", "start"]):
        subprocess.run(["git", *args], cwd=checkout, check=True, env=env)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True,
                            text=True).stdout.strip()
    described = json.dumps({"url": checkout.as_uri(), "dir_info": {"editable": True}})
    unpushed = from_direct_url(described, "0.1.0")  # origin has not seen this commit
    assert unpushed.line == f"tidings @ {checkout.as_uri()}" and not unpushed.reachable_from_ci
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", commit], cwd=checkout, check=True)
    requirement = from_direct_url(described, "0.1.0")
    assert requirement.line == f"tidings @ git+ssh://git@code.example.org/club/tidings.git@{commit}"
    bare = from_direct_url(json.dumps({"url": (tmp_path / "elsewhere").as_uri(), "dir_info": {}}), "0.1.0")
    assert not bare.reachable_from_ci and "replace it" in bare.note


@pytest.mark.slow
def test_the_generated_requirements_install_in_a_fresh_venv(tmp_path: Path) -> None:
    """pip installs requirements.txt from a new scaffold into a venv that has nothing else."""
    target = tmp_path / "c"
    done = init_cli(target)
    assert done.returncode == 0, done.stderr
    requirement = (target / "requirements.txt").read_text(encoding="utf-8")
    if "git+" in requirement and "git+file:" not in requirement:
        # Pinned to this checkout's remote: this machine may reach no host but the package index.
        pytest.skip("tidings is installed from a remote repository this test must not contact")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    pip = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
                         cwd=target, env=env, capture_output=True, text=True, timeout=1200)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    site = subprocess.run([str(venv / "bin/python"), "build.py", "site"], cwd=target, env=env,
                          capture_output=True, text=True, timeout=600)
    assert site.returncode == 0, site.stdout + site.stderr
    assert (target / "site/index.html").exists()


def test_a_fresh_scaffold_checks_without_a_collector_url_warning(tmp_path: Path) -> None:
    init(tmp_path / "c", name="C", today=date(2026, 11, 23))
    check = subprocess.run([sys.executable, "build.py", "check"], cwd=tmp_path / "c",
                           capture_output=True, text=True)
    assert check.returncode == 0 and "warning" not in check.stdout + check.stderr, check.stdout


def test_the_hints_demo_prints_on_a_fresh_scaffold_work_as_printed(tmp_path: Path) -> None:
    system_python = Path("/usr/bin/python3")
    if not system_python.exists():
        pytest.skip("no system python3 to stand for a python without tidings")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(system_python)  # `python` on the PATH has no tidings
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "BROWSER": "true"}
    for name in ("TIDINGS_SMTP_URL", "TIDINGS_DATABASE_URL", "CI"):
        env.pop(name, None)
    target = tmp_path / "c"
    init(target, name="C", today=date.today())
    demo = subprocess.run([sys.executable, "-m", "tidings", "--root", str(target), "demo"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    hints = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].split("   (")[0].strip()
             for line in demo.stdout.splitlines() if "build.py" in line}
    serve, render = hints["Browse the site with live reload"], hints["See one message as a subscriber"]
    assert serve.split(" build.py ")[0] == render.split(" build.py ")[0]  # the same launcher
    followed = subprocess.run(["bash", "-c", render], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
    assert followed.returncode == 0, followed.stdout + followed.stderr
    assert "Rendered 'first-issue'" in followed.stdout
