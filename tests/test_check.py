"""`check` reports every problem as path:line: message, all in one run, and exits 1."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MakeRepo
from tidings.cli import main
from tidings.content import check
from tidings.embargo import public_view

GOOD_ANNOUNCEMENT = """\
---
title: Hello
date: 2026-11-01
---
Body.
"""


def problems_of(root: Path) -> list[str]:
    _, problems = check(root)
    return [str(p) for p in problems]


def only(root: Path) -> str:
    found = problems_of(root)
    assert len(found) == 1, found
    return found[0]


def test_unknown_key_is_reported_on_its_line_with_a_suggestion(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": """
        ---
        date: 2026-11-01
        titel: Hello
        ---
        Body.
        """})
    found = problems_of(root)
    assert "content/announcements/a.md:3: unknown key 'titel' (did you mean 'title'?)" in found
    assert "content/announcements/a.md:1: missing required key 'title'" in found


def test_missing_required_key_names_the_key(make_repo: MakeRepo) -> None:
    root = make_repo({"content/stories/s.md": """
        ---
        title: A story
        date: 2026-11-01
        consent: true
        ---
        """})
    assert only(root) == "content/stories/s.md:1: missing required key 'member'"


def test_wrong_type_says_what_was_expected(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": """
        ---
        title: Hello
        date: 2026-11-01
        tags: 12
        draft: "maybe"
        ---
        """})
    found = problems_of(root)
    assert "content/announcements/a.md:4: 'tags': expected a list of text, got int 12" in found
    assert "content/announcements/a.md:5: 'draft': expected true or false, got str 'maybe'" in found


def test_yaml_no_stays_a_language_code_not_false(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": """
        ---
        title: Hei
        date: 2026-11-01
        lang: no
        ---
        """})
    community, problems = check(root)
    assert problems == []
    assert community is not None and community.announcements[0].lang == "no"


def test_unparseable_date_is_reported_on_its_line(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": """
        ---
        title: Hello
        date: 2026-13-45
        ---
        """})
    assert only(root) == (
        "content/announcements/a.md:3: 'date': '2026-13-45' has no month 13 (a year has 12 months)"
    )


def test_event_ending_before_it_starts_is_reported_at_end(make_repo: MakeRepo) -> None:
    root = make_repo({"content/events/e.md": """
        ---
        title: Call
        start: 2026-12-03T18:00
        end: 2026-12-03T17:00
        ---
        """})
    assert only(root).startswith(
        "content/events/e.md:4: 'end' (2026-12-03T17:00:00+02:00) must be after 'start'")


def test_yaml_syntax_error_is_reported_with_its_line(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": """
        ---
        title: Hello
        date: 2026-11-01
        tags: [a, b
        summary: x
        ---
        """})
    message = only(root)
    assert message.startswith("content/announcements/a.md:")
    assert "YAML syntax error" in message
    assert int(message.split(":")[1]) in (4, 5)


def test_front_matter_that_is_not_a_mapping_is_rejected(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": """
        ---
        - title
        - date
        ---
        """})
    assert only(root) == (
        "content/announcements/a.md:2: front matter must be a mapping of 'key: value' lines, got a list"
    )


def test_line_numbers_count_leading_blank_lines_of_the_front_matter(make_repo: MakeRepo) -> None:
    text = "---\n\n\ntitle: Hello\ndate: 2026-11-01\nsumary: x\n---\n"
    root = make_repo({"content/announcements/a.md": text})
    assert only(root).startswith(
        "content/announcements/a.md:6: unknown key 'sumary' (did you mean 'summary'?)")


def test_duplicate_slugs_are_reported(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/Hello-World.md": GOOD_ANNOUNCEMENT,
        "content/announcements/hello_world.md": GOOD_ANNOUNCEMENT,
        "content/announcements/hello world.md": GOOD_ANNOUNCEMENT,
    })
    found = problems_of(root)
    assert any("duplicate announcement slug 'hello-world'" in p for p in found), found


def test_duplicate_rule_ids_and_rules_without_ids_are_reported(make_repo: MakeRepo) -> None:
    root = make_repo({"guidelines/rules.md": """
        ---
        title: Rules
        ---
        ## Be kind {#be-kind}

        Text.

        ## Be nice {#be-kind}

        ## No id here
        """})
    found = problems_of(root)
    assert "guidelines/rules.md:8: duplicate rule id 'be-kind'" in found
    assert ("guidelines/rules.md:10: rule 'No id here' has no permanent id: write "
            "'## No id here {#no-id-here}'") in found


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                        "PATH": "/usr/bin:/bin"})


def test_removed_rule_id_must_be_listed_as_retired(make_repo: MakeRepo) -> None:
    rules = "---\ntitle: Rules\n{retired}---\n## Be kind {{#be-kind}}\n\n## Stay on topic {{#on-topic}}\n"
    root = make_repo({"guidelines/rules.md": rules.format(retired="")})
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "rules")
    (root / "guidelines/rules.md").write_text("---\ntitle: Rules\n---\n## Be kind {#be-kind}\n")
    found = problems_of(root)
    assert len(found) == 1 and found[0].startswith(
        "guidelines/rules.md:1: rule id 'on-topic' was published (commit ")
    assert "list it under 'retired'" in found[0]
    (root / "guidelines/rules.md").write_text(
        "---\ntitle: Rules\nretired: [on-topic]\n---\n## Be kind {#be-kind}\n")
    assert problems_of(root) == []


def test_retired_rule_id_cannot_be_reused(make_repo: MakeRepo) -> None:
    root = make_repo({"guidelines/rules.md": """
        ---
        title: Rules
        retired: [spam]
        ---
        ## No spam, please {#spam}
        """})
    assert only(root).startswith("guidelines/rules.md:5: rule id 'spam' is listed under 'retired'")


def test_newsletter_include_and_survey_must_point_at_something(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/a.md": GOOD_ANNOUNCEMENT,
        "newsletters/2026-12.md": """
            ---
            subject: December
            send_at: 2026-12-03T09:00
            include:
              - content/announcements/a.md
              - content/announcements/missing.md
            survey: no-such-survey
            ---
            """,
    })
    found = problems_of(root)
    assert ("newsletters/2026-12.md:6: include 'content/announcements/missing.md' points at "
            "nothing (no such file)") in found
    assert ("newsletters/2026-12.md:7: survey 'no-such-survey' does not exist "
            "(known surveys: none)") in found


def test_broken_links_between_content_files_are_reported(make_repo: MakeRepo) -> None:
    root = make_repo({
        "guidelines/rules.md": "---\ntitle: Rules\n---\n## Be kind {#be-kind}\n",
        "content/announcements/a.md": """
            ---
            title: Hello
            date: 2026-11-01
            ---
            See [the rules](../../guidelines/rules.md#be-kind) and [old news](old.md).

            Also [a rule that is gone](../../guidelines/rules.md#be-rude), `[code](nope.md)`.

            ```
            [inside a fence](nope.md)
            ```
            """,
    })
    assert problems_of(root) == [
        "content/announcements/a.md:5: broken link 'old.md': no such file",
        "content/announcements/a.md:7: broken link '../../guidelines/rules.md#be-rude': "
        "guidelines/rules.md has no rule '#be-rude'",
    ]


def test_every_problem_is_reported_in_one_run(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/a.md": "---\ntitel: x\ndate: soon\n---\n",
        "content/events/e.md": "---\ntitle: E\nstart: 2026-12-01T10:00\n---\n",
        "content/stories/s.md": "---\n[broken\n---\n",
    })
    found = problems_of(root)
    assert {p.split(":")[0] for p in found} == {
        "content/announcements/a.md", "content/events/e.md", "content/stories/s.md"}
    assert len(found) >= 5


def test_check_exits_1_and_prints_path_line_message_without_traceback(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": "---\ntitle: x\ndate: nope\n---\n"})
    done = subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), "check"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "content/announcements/a.md:3: 'date': 'nope' is not an ISO 8601 date" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_check_passes_on_the_example_community(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import REPO_ROOT

    assert main(["--root", str(REPO_ROOT), "check"]) == 0
    assert "no problems" in capsys.readouterr().out


def test_bad_config_is_reported_with_its_line(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject='[tool.tidings]\nname = "X"\ntimezon = "UTC"\n')
    assert problems_of(root) == [
        "pyproject.toml:3: [tool.tidings] unknown setting 'timezon' (did you mean 'timezone'?)"]


def test_odd_but_valid_input_passes(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/活动公告.md": (
            "---\ntitle: 社区活动\ndate: 2026-11-01 09:30\nlang: zh\n---\n正文。\n"),
        "content/announcements/ääkköset.md": (
            "\ufeff---\r\ntitle: Ääkköset\r\ndate: 2026-11-01T09:30:00Z\r\n---\r\nHei!\r\n"),
        "content/events/e.md": "---\ntitle: Κοινότητα\nstart: 2028-02-29T18:00+02:00\nduration: PT90M\n"
                               "timezone: Asia/Taipei\nrepeat: FREQ=WEEKLY;COUNT=3\n---\n",
    })
    community, problems = check(root)
    assert problems == []
    assert community is not None
    assert sorted(a.slug for a in community.announcements) == ["ääkköset", "活动公告"]


def test_unlikely_years_and_an_until_before_the_start_are_reported(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/a.md": "---\ntitle: A\ndate: 0001-01-01\n---\n",
        "content/events/e.md": "---\ntitle: E\nstart: 2026-12-01T10:00\nduration: PT1H\n"
                               "repeat: FREQ=MONTHLY;UNTIL=20251231\n---\n",
    })
    found = problems_of(root)
    assert found[0] == ("content/announcements/a.md:3: 'date': '0001-01-01' has an unlikely year 1 "
                        "(expected e.g. 2026-11-23)")
    assert found[1] == ("content/events/e.md:5: 'repeat': UNTIL=20251231 is before 'start' "
                        "(2026-12-01T10:00:00+02:00): the event would never take place")


# --- issue 11: every problem once, in words an editor understands -------------------------------

def test_a_broken_link_is_reported_even_when_its_file_has_another_error(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": """
        ---
        title: Hello
        date: soon
        ---
        See [old news](old.md).
        """})
    assert problems_of(root) == [
        "content/announcements/a.md:3: 'date': 'soon' is not an ISO 8601 date "
        "(expected e.g. 2026-11-23 or 2026-11-23T18:00)",
        "content/announcements/a.md:5: broken link 'old.md': no such file",
    ]


def test_an_include_of_a_file_with_its_own_error_reports_only_that_error(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/a.md": "---\ntitle: A\ndate: 2026-11-31\n---\n",
        "content/announcements/b.md": GOOD_ANNOUNCEMENT + "See [a](a.md).\n",
        "newsletters/2026-12.md": "---\nsubject: December\nsend_at: 2026-12-03T09:00\n"
                                  "include:\n  - content/announcements/a.md\n---\n",
    })
    found = problems_of(root)
    assert len(found) == 1, found
    assert found[0].startswith("content/announcements/a.md:3: 'date':")


def test_a_survey_with_an_error_does_not_make_its_users_say_it_does_not_exist(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/surveys/pulse.md": "---\nid: pulse\ntitle: Pulse\nquestions: 12\n"
                                    "opens: 2026-11-31\n---\n",
        "newsletters/2026-12.md": "---\nsubject: December\nsend_at: 2026-12-03T09:00\n"
                                  "survey: pulse\n---\n",
        "feedback/pulse.csv": "respondent,question,answer,at\n",
    })
    found = problems_of(root)
    assert all(p.startswith("content/surveys/pulse.md:") for p in found), found
    assert len(found) == 2, found


def test_a_day_that_does_not_exist_is_named_as_such(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/a.md": "---\ntitle: A\ndate: 2026-11-31\n---\n",
        "content/events/e.md": "---\ntitle: E\nstart: 2027-02-29T18:00\nduration: PT1H\n---\n",
        "newsletters/n.md": "---\nsubject: S\nsend_at: 2026-04-31 09:00\n---\n",
    })
    assert problems_of(root) == [
        "content/announcements/a.md:3: 'date': there is no day 2026-11-31: November 2026 has 30 days",
        "content/events/e.md:3: 'start': there is no day 2027-02-29: February 2027 has 28 days",
        "newsletters/n.md:3: 'send_at': there is no day 2026-04-31: April 2026 has 30 days",
    ]


def test_a_month_or_hour_out_of_range_is_named_as_such(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/a.md": "---\ntitle: A\ndate: 2026-13-01\n---\n",
        "content/announcements/b.md": "---\ntitle: B\ndate: 2026-11-01T25:00\n---\n",
    })
    assert problems_of(root) == [
        "content/announcements/a.md:3: 'date': '2026-13-01' has no month 13 (a year has 12 months)",
        "content/announcements/b.md:3: 'date': '2026-11-01T25:00' has no hour 25 (hours run 0 to 23)",
    ]


@pytest.mark.parametrize(("written", "meant"), [("Europe/Berlim", "Europe/Berlin"),
                                               ("Europe/Helsingfors", "Europe/Helsinki")])
def test_a_misspelt_timezone_gets_a_did_you_mean(make_repo: MakeRepo, written: str, meant: str) -> None:
    root = make_repo({"content/events/e.md": f"""
        ---
        title: Call
        start: 2026-12-03T18:00
        duration: PT1H
        timezone: {written}
        ---
        """})
    assert only(root) == (
        f"content/events/e.md:5: 'timezone': unknown timezone '{written}' (did you mean '{meant}'?)")


def test_an_unknown_timezone_says_what_is_expected(make_repo: MakeRepo) -> None:
    root = make_repo({"content/events/e.md": "---\ntitle: Call\nstart: 2026-12-03T18:00\n"
                                             "duration: PT1H\ntimezone: Moon/Base\n---\n"})
    assert only(root) == ("content/events/e.md:5: 'timezone': unknown timezone 'Moon/Base' "
                          "(expected an IANA name such as 'Europe/Helsinki')")


def test_a_misspelt_timezone_in_the_settings_gets_a_did_you_mean(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject='[tool.tidings]\nname = "X"\ntimezone = "Europe/Berlim"\n')
    assert problems_of(root) == [
        "pyproject.toml:3: [tool.tidings] unknown timezone 'Europe/Berlim' "
        "(did you mean 'Europe/Berlin'?)"]


def test_a_country_code_as_language_is_refused_with_the_language_to_write(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/a.md": "---\ntitle: A\ndate: 2026-11-01\nlang: gr\n---\n",
        "newsletters/n.md": "---\nsubject: S\nsend_at: 2026-12-01\naudience:\n  lang: gr\n---\n",
    })
    assert problems_of(root) == [
        "content/announcements/a.md:4: 'lang': 'gr' is not a language code "
        "(gr is a country code; did you mean el?)",
        "newsletters/n.md:5: 'audience.lang': 'gr' is not a language code "
        "(gr is a country code; did you mean el?)",
    ]


def test_the_site_language_setting_is_a_language_code(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject='[tool.tidings]\nname = "X"\nlanguage = "gr"\n')
    assert problems_of(root) == [
        "pyproject.toml:3: [tool.tidings] 'language': 'gr' is not a language code "
        "(gr is a country code; did you mean el?)"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=1, max_size=40))
def test_any_lang_value_is_accepted_or_refused_on_its_line(make_repo: MakeRepo, value: str) -> None:
    meta = yaml.safe_dump({"title": "A", "date": "2026-11-01", "lang": value}, allow_unicode=True)
    name = f"r{abs(hash(value))}"
    root = make_repo({"content/announcements/a.md": f"---\n{meta}---\n"}, name=name)
    found = problems_of(root)
    assert all(p.startswith("content/announcements/a.md:") for p in found), found
    assert len(found) <= 1
    assert found == [] or "'lang'" in found[0]


def test_draft_works_on_every_kind_and_hides_the_item(make_repo: MakeRepo) -> None:
    draft = "draft: true\n"
    root = make_repo({
        "content/announcements/a.md": "---\ntitle: A\ndate: 2026-11-01\n" + draft + "---\n",
        "content/stories/s.md": "---\ntitle: S\ndate: 2026-11-01\nmember: Ana\nconsent: true\n"
                                + draft + "---\n",
        "content/events/e.md": "---\ntitle: E\nstart: 2026-12-01T10:00\nduration: PT1H\n"
                               + draft + "---\n",
        "content/surveys/q.md": "---\nid: q\ntitle: Q\nquestions:\n  - id: a\n    text: A?\n"
                                "    options: [yes, no]\n" + draft + "---\n",
        "content/pages/about.md": "---\ntitle: About\n" + draft + "---\n",
        "guidelines/rules.md": "---\ntitle: Rules\n" + draft + "---\n## Be kind {#be-kind}\n",
        "newsletters/n.md": "---\nsubject: S\nsend_at: 2026-11-02\n" + draft + "---\n",
    })
    community, problems = check(root)
    assert problems == []
    assert community is not None and len(community.entries()) == 7
    view = public_view(community, datetime(2030, 1, 1, tzinfo=UTC))
    assert view.paths == frozenset()
    assert view.newsletters == ()


def test_a_story_awaiting_consent_is_a_notice_and_is_never_published(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/stories/no.md": "---\ntitle: S\ndate: 2026-11-01\nmember: Ana\nconsent: false\n---\n",
        "content/stories/later.md": "---\ntitle: T\ndate: 2026-11-01\nmember: Bo\n---\n",
    })
    community, problems = check(root)
    assert [str(p) for p in problems] == [
        "content/stories/later.md:1: notice: awaiting consent: not published until the member "
        "agrees and 'consent: true' is written",
        "content/stories/no.md:5: notice: awaiting consent: not published until the member "
        "agrees and 'consent: true' is written",
    ]
    assert community is not None and len(community.stories) == 2
    assert public_view(community, datetime(2030, 1, 1, tzinfo=UTC)).stories == ()


def test_notices_are_printed_but_check_exits_0(make_repo: MakeRepo,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({"content/stories/s.md": "---\ntitle: S\ndate: 2026-11-01\nmember: Ana\n---\n"})
    assert main(["--root", str(root), "check"]) == 0
    out = capsys.readouterr().out
    assert "content/stories/s.md:1: notice: awaiting consent" in out
    assert "ok: 1 files checked, no problems" in out


def test_a_bad_setting_does_not_hide_the_problems_of_the_content(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": "---\ntitle: A\ndate: 2026-11-01\nlang: gr\n---\n"},
                     pyproject='[tool.tidings]\nname = "X"\ntimezone = "Europe/Berlim"\n')
    assert problems_of(root) == [
        "content/announcements/a.md:4: 'lang': 'gr' is not a language code "
        "(gr is a country code; did you mean el?)",
        "pyproject.toml:3: [tool.tidings] unknown timezone 'Europe/Berlim' "
        "(did you mean 'Europe/Berlin'?)",
    ]


def test_init_refuses_a_misspelt_timezone_with_a_did_you_mean(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "club"), "--timezone", "Europe/Berlim"]) == 2
    assert "did you mean 'Europe/Berlin'?" in capsys.readouterr().err
    assert not (tmp_path / "club").exists()


def test_a_newsletter_with_a_broken_link_still_gets_its_mail_checks(make_repo: MakeRepo) -> None:
    from tidings.repo_check import check_all

    subject = "A subject much too long for any inbox to show in full, cut after about 78 characters"
    root = make_repo({"newsletters/n.md": f"---\nsubject: {subject}\nsend_at: 2026-12-01T09:00\n"
                                          "template: nope.mjml.j2\n---\nSee [old news](old.md).\n"})
    _, problems = check_all(root, datetime(2026, 11, 30, tzinfo=UTC))
    assert [str(p) for p in problems] == [
        "newsletters/n.md:2: warning: subject is 84 characters: inboxes cut it after about 78",
        "newsletters/n.md:4: template 'nope.mjml.j2' not found in newsletters/templates/",
        "newsletters/n.md:6: broken link 'old.md': no such file",
    ]
