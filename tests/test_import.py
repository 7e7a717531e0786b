"""Imports keep consent honestly: exports of Mailchimp, listmonk, Substack and Excel, read right."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import MakeRepo
from tidings.errors import ContentError
from tidings.inputs import has_control
from tidings.store import open_database
from tidings.store.bulk import sqlite_utc
from tidings.store.fields import fast_normalize_email, normalize_email
from tidings.store.import_formats import STATE_WORDS
from tidings.store.importer import import_csv
from tidings.store.schema import UTCDateTime, consent_events, subscribers
from tidings.store.subscribers import add, unsubscribe

FIXTURES = {
    # Mailchimp "Export audience": one file per state, in a zip; times are UTC.
    "subscribed_members_export_4f1c2d.csv": (
        '"Email Address","First Name","Last Name","Address","Phone Number",MEMBER_RATING,OPTIN_TIME,'
        'OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,'
        'LAST_CHANGED,LEID,EUID,NOTES,TAGS\n'
        'aino@example.org,Aino,Virtanen,"Hämeentie 1  Helsinki  00530 FI",,4,"2021-03-04 09:15:02",'
        '198.51.100.7,"2021-03-04 09:20:11",198.51.100.7,60.17,24.94,2,3,Europe/Helsinki,FI,18,'
        '"2024-01-10 12:00:00",110394857,c7a1e2b9f0,,"""Translators"",""Beta testers"""\n'
        'single@example.org,Sam,,,,2,"2020-11-30 17:02:45",,,,,,,,,,,"2020-11-30 17:02:45",'
        '110394858,c7a1e2b9f1,,\n'),
    "unsubscribed_members_export_4f1c2d.csv": (
        '"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,'
        'CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,UNSUB_TIME,'
        'UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,LEID,EUID,NOTES,TAGS\n'
        'left@example.org,Lea,Berg,2,"2019-06-01 08:00:00",,"2019-06-01 08:03:00",,,,,,,SE,,'
        '"2023-02-14 21:40:09","February news",a1b2c3d4e5,"NORMAL",,110394860,c7a1e2b9f3,,'
        '"""Mappers"""\n'),
    "cleaned_members_export_4f1c2d.csv": (
        '"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,'
        'CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,CLEAN_TIME,'
        'CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,TAGS\n'
        'gone@example.org,,,1,"2018-01-05 10:00:00",,"2018-01-05 10:01:00",,,,,,,,,'
        '"2022-08-09 06:30:00","August news",f0e9d8c7b6,110394861,c7a1e2b9f4,,\n'),
    # listmonk: Subscribers → Export.
    "listmonk-subscribers.csv": (
        "uuid,email,name,attributes,status,created_at,updated_at\n"
        '6f2d1c3a-1b2c-4d5e-8f90-0a1b2c3d4e5f,ana@example.org,Ana Souza,"{""city"": ""São Paulo""}",'
        "enabled,2023-05-02 10:11:12.123456+00,2024-02-01 08:00:00+00\n"
        "7a3e2d4b-2c3d-4e5f-9a01-1b2c3d4e5f60,off@example.org,Olli,{},disabled,"
        "2023-05-03 10:00:00+00,2024-03-01 09:00:00+00\n"
        "8b4f3e5c-3d4e-4f60-8b12-2c3d4e5f6071,spam@example.org,Spam Bot,{},blocklisted,"
        "2023-05-04 10:00:00+00,2023-05-04 10:05:00+00\n"),
    # Substack: Subscribers → Export.
    "substack-export.csv": (
        "email,active_subscription,expiry,plan,email_disabled,created_at,first_payment_at\n"
        "reader@example.org,false,,free,false,2022-05-01T10:00:00.000Z,\n"
        "quiet@example.org,true,2025-01-01T00:00:00.000Z,yearly,true,2022-06-01T10:00:00.000Z,"
        "2022-06-01T10:00:00.000Z\n"),
    # Excel "CSV UTF-8 (comma delimited)" in a locale whose list separator is `;`: BOM, CRLF.
    "excel.csv": ("\ufeffEmail;Name;Language;Tags;Status\r\n"
                  "jorg@example.org;Jörg Weiß;de;translators, berlin;subscribed\r\n"
                  "mia@example.org;Mia;fi;;unsubscribed\r\n"),
}


def fixture(tmp_path: Path, name: str, text: str | None = None) -> Path:
    path = tmp_path / name
    path.write_text(FIXTURES[name] if text is None else text, encoding="utf-8")
    return path


def people(engine: sa.Engine) -> dict[str, tuple[str, str | None, str]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(subscribers.c.email, subscribers.c.state, subscribers.c.name,
                                            subscribers.c.tags))
        return {r.email: (r.state, r.name, r.tags) for r in rows}


def history(engine: sa.Engine, email: str) -> list[tuple[str | None, str, datetime, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(consent_events.c.from_state, consent_events.c.to_state, consent_events.c.at,
                      consent_events.c.source, consent_events.c.detail)
            .join(subscribers, subscribers.c.id == consent_events.c.subscriber_id)
            .where(subscribers.c.email == email).order_by(consent_events.c.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- Mailchimp -----------------------------------------------------------------------------------

def test_mailchimp_subscribed_rows_keep_their_confirm_time_and_tags_without_quotes(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    result = import_csv(engine, fixture(tmp_path, "subscribed_members_export_4f1c2d.csv"))
    assert result.added == 2
    assert people(engine)["aino@example.org"] == ("confirmed", "Aino Virtanen", "beta testers,translators")
    [(before, after, at, source, detail)] = history(engine, "aino@example.org")
    assert (before, after, at) == (None, "confirmed", utc("2021-03-04 09:20:11"))
    assert source == "import:subscribed_members_export_4f1c2d.csv"
    assert "mailchimp" in detail and "CONFIRM_TIME" in detail
    # Single opt-in: no CONFIRM_TIME, so the opt-in time is the consent time.
    assert history(engine, "single@example.org")[0][2] == utc("2020-11-30 17:02:45")


def test_mailchimp_unsubscribed_export_never_becomes_confirmed(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    import_csv(engine, fixture(tmp_path, "unsubscribed_members_export_4f1c2d.csv"))
    assert people(engine)["left@example.org"][0] == "unsubscribed"
    events = history(engine, "left@example.org")
    assert [(e[0], e[1], e[2]) for e in events] == [
        (None, "confirmed", utc("2019-06-01 08:03:00")),
        ("confirmed", "unsubscribed", utc("2023-02-14 21:40:09"))]
    assert all("mailchimp" in e[4] for e in events)


def test_mailchimp_cleaned_export_becomes_bounced(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    import_csv(engine, fixture(tmp_path, "cleaned_members_export_4f1c2d.csv"))
    assert people(engine)["gone@example.org"][0] == "bounced"
    assert history(engine, "gone@example.org")[-1][1:3] == ("bounced", utc("2022-08-09 06:30:00"))


def test_an_unsubscribed_export_row_without_its_time_is_refused_not_subscribed(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    text = FIXTURES["unsubscribed_members_export_4f1c2d.csv"].replace('"2023-02-14 21:40:09"', "")
    with pytest.raises(ContentError) as caught:
        import_csv(engine, fixture(tmp_path, "audience.csv", text))
    [problem] = caught.value.problems
    assert str(problem).startswith("audience.csv:2: status: the state is unknown")
    assert people(engine) == {}


# -- listmonk, Substack, Excel ---------------------------------------------------------------------

def test_listmonk_blocklisted_and_disabled_never_become_confirmed(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    result = import_csv(engine, fixture(tmp_path, "listmonk-subscribers.csv"))
    assert result.tool == "listmonk"
    assert {k: v[0] for k, v in people(engine).items()} == {
        "ana@example.org": "confirmed", "off@example.org": "unsubscribed", "spam@example.org": "unsubscribed"}
    assert history(engine, "ana@example.org")[0][2] == datetime(2023, 5, 2, 10, 11, 12, 123456, UTC)
    [(before, after, at, _, detail)] = history(engine, "spam@example.org")
    assert (before, after, at) == (None, "unsubscribed", utc("2023-05-04 10:05:00"))
    assert "listmonk" in detail and "blocklisted" in detail


def test_a_listmonk_list_subscription_that_is_unconfirmed_stays_pending(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    import_csv(engine, fixture(tmp_path, "list.csv", (
        "uuid,email,name,attributes,status,subscription_status,created_at,updated_at\n"
        "1a,new@example.org,New,{},enabled,unconfirmed,2024-01-01 00:00:00+00,2024-01-01 00:00:00+00\n"
        "2b,out@example.org,Out,{},enabled,unsubscribed,2024-01-01 00:00:00+00,2024-03-01 00:00:00+00\n")))
    assert {k: v[0] for k, v in people(engine).items()} == {
        "new@example.org": "pending", "out@example.org": "unsubscribed"}
    assert history(engine, "out@example.org")[-1][2] == utc("2024-03-01 00:00:00")


def test_substack_email_disabled_rows_are_unsubscribed(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    import_csv(engine, fixture(tmp_path, "substack-export.csv"))
    assert {k: v[0] for k, v in people(engine).items()} == {
        "reader@example.org": "confirmed", "quiet@example.org": "unsubscribed"}
    assert history(engine, "reader@example.org")[0][2] == utc("2022-05-01 10:00:00")
    assert "email_disabled=true" in history(engine, "quiet@example.org")[0][4]


def test_an_excel_csv_with_bom_semicolons_and_crlf_imports_with_its_states(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    import_csv(engine, fixture(tmp_path, "excel.csv"))
    assert people(engine) == {"jorg@example.org": ("confirmed", "Jörg Weiß", "berlin,translators"),
                              "mia@example.org": ("unsubscribed", "Mia", "")}


def test_a_time_of_leaving_outweighs_a_status_that_says_subscribed(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    import_csv(engine, fixture(tmp_path, "list.csv", "email,status,unsubscribed at,updated at\n"
                                                     "x@example.org,subscribed,2024-01-02 03:04:05,\n"
                                                     "y@example.org,complained,,2024-02-03T04:05:06Z\n"))
    assert history(engine, "x@example.org")[-1][1:3] == ("unsubscribed", utc("2024-01-02 03:04:05"))
    assert history(engine, "y@example.org")[-1][1:3] == ("complained", utc("2024-02-03 04:05:06"))


def test_an_unknown_state_is_refused_with_line_field_and_what_is_accepted(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    path = fixture(tmp_path, "list.csv", "email,status\na@example.org,subscribed\nb@example.org,vip\n"
                                         "c@example.org,\n")
    with pytest.raises(ContentError) as caught:
        import_csv(engine, path)
    first, second = (str(p) for p in caught.value.problems)
    assert first.startswith("list.csv:3: status: 'vip' is not a state tidings knows; accepted: ")
    assert "unsubscribed" in first and "cleaned" in first
    assert second.startswith("list.csv:4: status: the state is unknown")
    assert people(engine) == {}


def test_a_file_that_is_not_utf8_names_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("email,name\na@example.org,Ann\nb@example.org,Jörg\n".encode("cp1252"))
    with pytest.raises(ContentError) as caught:
        import_csv(open_database(tmp_path), path)
    assert [str(p) for p in caught.value.problems] == [
        "list.csv:3: not UTF-8 text (byte 0xf6): export the file as CSV UTF-8"]


def test_a_huge_cell_is_reported_with_its_line_and_nothing_is_imported(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    huge = "x" * 200_000  # over the csv module's default 128 KiB field limit
    path = fixture(tmp_path, "list.csv", f'email,name\na@example.org,Ann\nb@example.org,"{huge}"\n')
    with pytest.raises(ContentError) as caught:
        import_csv(engine, path)
    [problem] = caught.value.problems
    assert str(problem).startswith("list.csv:3: ") and "200000 characters" in str(problem)
    assert people(engine) == {}


def test_excel_unicode_text_in_utf16_imports(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes("email\tname\r\nelena@example.org\tΕλένη\r\n".encode("utf-16"))
    engine = open_database(tmp_path)
    assert import_csv(engine, path).added == 1
    assert people(engine) == {"elena@example.org": ("confirmed", "Ελένη", "")}


# -- lengths and codes: a clear error before the database sees them --------------------------------

BAD_PROFILE = ("email,name,language,timezone\n"
               f"long@example.org,{'N' * 201},en,\n"
               f"code@example.org,Code,{'aa' + '-abcdefgh' * 3 + '-abcdef'},\n"
               "greek@example.org,Eleni,gr,\n"
               "zone@example.org,Zone,en,Europe/Atlantis\n")


def check_bad_profile(engine: sa.Engine, tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        import_csv(engine, fixture(tmp_path, "list.csv", BAD_PROFILE))
    problems = [str(p) for p in caught.value.problems]
    assert problems[0] == "list.csv:2: name: name is 201 characters long; at most 200 are allowed"
    assert problems[1] == "list.csv:3: language: a language code has at most 35 characters, not 36"
    assert problems[2].startswith("list.csv:4: language: 'gr' is not a language code")
    assert "did you mean el" in problems[2]
    assert problems[3].startswith("list.csv:5: timezone: 'Europe/Atlantis' is not an IANA timezone")
    assert people(engine) == {}


def test_long_names_and_bad_codes_are_clear_errors_on_sqlite(tmp_path: Path) -> None:
    check_bad_profile(open_database(tmp_path), tmp_path)


def test_long_names_and_bad_codes_are_clear_errors_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    engine = open_database(url=postgres_url)
    check_bad_profile(engine, tmp_path)
    # --skip-invalid imports nothing of them either: the database never sees the long values.
    assert import_csv(engine, tmp_path / "list.csv", skip_invalid=True).added == 0
    engine.dispose()


# -- existing subscribers ----------------------------------------------------------------------------

def test_a_row_that_says_unsubscribed_unsubscribes_an_existing_subscriber_and_records_it(
        tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    import_csv(engine, fixture(tmp_path, "list.csv", "email\nleft@example.org\n"))
    result = import_csv(engine, fixture(tmp_path, "unsubscribed_members_export_4f1c2d.csv"))
    assert result.left == 1 and people(engine)["left@example.org"][0] == "unsubscribed"
    last = history(engine, "left@example.org")[-1]
    assert last[:3] == ("confirmed", "unsubscribed", utc("2023-02-14 21:40:09"))
    assert last[3] == "import:unsubscribed_members_export_4f1c2d.csv"


def test_an_older_unsubscribe_in_a_file_does_not_undo_a_newer_consent(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    with engine.begin() as connection:  # they signed up again here after leaving Mailchimp in 2023
        add(connection, "left@example.org", state="confirmed", source="form:signup")
    result = import_csv(engine, fixture(tmp_path, "unsubscribed_members_export_4f1c2d.csv"))
    assert result.left == 0 and people(engine)["left@example.org"][0] == "confirmed"


def test_a_subscribed_row_never_resubscribes_or_demotes_anyone(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    with engine.begin() as connection:
        gone = add(connection, "aino@example.org")[0]
        unsubscribe(connection, gone.id, source="one-click")
        add(connection, "single@example.org", state="pending", source="form:signup")
    result = import_csv(engine, fixture(tmp_path, "subscribed_members_export_4f1c2d.csv"))
    assert result.kept_out == 1
    assert people(engine)["aino@example.org"][0] == "unsubscribed"
    assert people(engine)["single@example.org"][0] == "confirmed"  # pending + consent elsewhere
    pending = fixture(tmp_path, "list.csv", "email,status\nsingle@example.org,pending\n")
    assert import_csv(engine, pending).unchanged == 1
    assert people(engine)["single@example.org"][0] == "confirmed"


# -- the write lock: short transactions ----------------------------------------------------------

def test_a_big_import_commits_in_short_batches_so_signups_never_find_the_database_locked(
        tmp_path: Path) -> None:
    rows = 20_000
    path = fixture(tmp_path, "big.csv", "email,name\n" + "".join(
        f"member{i:05d}@example.org,Member {i}\n" for i in range(rows)))
    engine = open_database(tmp_path)
    signups = open_database(tmp_path)  # another "process": its own connections
    done, started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def sign_up() -> None:
        count = 0
        while not done.is_set():
            try:
                with signups.begin() as connection:
                    add(connection, f"signup{count}@example.org", state="pending", source="form:signup")
            except sa.exc.OperationalError as exc:
                errors.append(exc)
            count += 1
            started.set()

    commits: list[int] = []
    sa.event.listen(engine, "commit", lambda _: commits.append(1))
    writer = threading.Thread(target=sign_up)
    writer.start()
    started.wait(10)
    try:
        result = import_csv(engine, path, batch=500)
    finally:
        done.set()
        writer.join()
    assert errors == []
    assert result.added == rows
    assert len(commits) >= rows // 500  # a transaction per batch, not one for the whole file
    with engine.connect() as connection:
        signed_up = connection.execute(sa.select(sa.func.count()).select_from(consent_events)
                                       .where(consent_events.c.source == "form:signup")).scalar()
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert signed_up and mode == "wal"


def test_the_cli_says_which_tool_wrote_the_file_and_what_each_row_became(
        tmp_path: Path, make_repo: MakeRepo) -> None:
    root = make_repo({})
    path = fixture(tmp_path, "listmonk-subscribers.csv")
    done = subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), "subscribers", "import",
                           str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "listmonk export" in done.stdout
    assert "3 added (1 confirmed, 2 unsubscribed)" in done.stdout


# -- hostile cells: taken cleaned or reported with line and column, never a traceback -----------

CONTROL = st.sampled_from(["\r", "\n", "\r\n", "\x00", "\x85", "\u2028", "\x1b", "\t", "\x7f"])
FORMULA = st.sampled_from(["=HYPERLINK(\"https://example.org\")", "+1", "-2+3", "@SUM(A1:A9)",
                           "=cmd|' /C calc'!A0"])
TEXT = st.one_of(st.text(max_size=30), FORMULA,
                 st.lists(st.one_of(st.text(max_size=8), CONTROL, FORMULA), max_size=6).map("".join),
                 st.text(alphabet="ab ", min_size=195, max_size=210), st.just("x" * 300))
ADDRESS = st.one_of(
    st.emails().filter(lambda a: len(a) < 120),
    st.sampled_from(["jörg@exämple.org", "用户@例子.广告", "ÄNN@EXAMPLE.ORG", "=1+2@example.org",
                     "a..b@example.org", "a@localhost", "plain", "", "x@example.org\r\nBcc: y@example.org",
                     "nul\x00@example.org", "\"quoted\"@example.org", "a@" + "b" * 70 + ".org"]),
    st.builds(lambda local: f"{local}@example.org", st.text(max_size=20)))
TAGS = st.one_of(TEXT, st.lists(TEXT, max_size=3).map(lambda ts: ",".join(f'"{t}"' for t in ts)))
LANG = st.one_of(st.sampled_from(["en", "fi", "pt-BR", "zh_Hant_TW", "gr", "xx", "", "a" * 36]), TEXT)
ZONE = st.one_of(st.sampled_from(["Europe/Helsinki", "UTC", "", "localtime", "../../etc/passwd"]), TEXT)
STATUS = st.one_of(st.sampled_from(["subscribed", "Unsubscribed", "cleaned", "blocklisted", "pending",
                                    "", "vip"]), TEXT)
ROW = st.tuples(ADDRESS, TEXT, TAGS, LANG, ZONE, STATUS)


def written(rows: list[tuple[str, ...]]) -> tuple[str, list[int]]:
    """The CSV text (quoted like a careful exporter does) and the line each row starts on."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["email", "name", "tags", "language", "timezone", "status"])
    lines = []
    for row in rows:
        lines.append(out.getvalue().count("\n") + 1)
        writer.writerow(row)
    return out.getvalue(), lines


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=6))
def test_any_cell_is_imported_clean_or_reported_with_line_and_column(rows: list[tuple[str, ...]]) -> None:
    text, lines = written(rows)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "list.csv"
        path.write_text(text, encoding="utf-8")
        engine = open_database(url=f"sqlite:///{directory}/t.sqlite")
        try:
            result = import_csv(engine, path, skip_invalid=True)
        except ContentError as exc:  # a whole-file problem (the csv module's 128 KiB cell limit)
            assert all(p.path == "list.csv" and p.line >= 1 for p in exc.problems)
            return
        finally:
            stored = people(engine)
            with engine.connect() as connection:
                profiles = connection.execute(sa.select(subscribers.c.email, subscribers.c.lang,
                                                        subscribers.c.timezone)).all()
            engine.dispose()
    assert all(p.path == "list.csv" and p.line in lines and p.field for p in result.skipped)
    bad_lines = {p.line for p in result.skipped}
    by_key = {email.casefold(): state for email, (state, _, _) in stored.items()}
    for (address, _, _, _, _, status), line in zip(rows, lines, strict=True):
        if line not in bad_lines:
            key = fast_normalize_email(address)[1]
            assert key in by_key
            said = STATE_WORDS.get(" ".join(status.lower().replace("_", " ").split()))
            if said not in ("confirmed", "pending"):
                assert by_key[key] != "confirmed"
    for email, (_, name, tags) in stored.items():
        assert not has_control(email) and len(email) <= 320
        assert name is None or (not has_control(name) and len(name) <= 200 and name == name.strip())
        assert not has_control(tags) and '"' not in tags and all(len(t) <= 100 for t in tags.split(","))
    for _, lang, zone in profiles:
        assert lang is None or (len(lang) <= 35 and not has_control(lang))
        assert zone is None or (len(zone) <= 64 and not has_control(zone))


@settings(max_examples=200, deadline=None)
@example("NEWS@A.ae")  # RFC 2142 role mailboxes are lowercased by email-validator
@given(st.one_of(st.emails(), ADDRESS, st.text(max_size=40),
                 st.builds(lambda a: a.upper(), st.emails())))
def test_the_fast_address_check_agrees_with_email_validator(address: str) -> None:
    try:
        expected: tuple[str, str] | str = normalize_email(address)
    except ValueError:
        expected = "invalid"
    try:
        got: tuple[str, str] | str = fast_normalize_email(address)
    except ValueError:
        got = "invalid"
    assert got == expected


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_bytes_that_are_not_text_are_reported_with_a_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "list.csv"
        path.write_bytes(b"email,name\nok@example.org,Ok\n" + data)
        engine = open_database(url=f"sqlite:///{directory}/t.sqlite")
        try:
            import_csv(engine, path, skip_invalid=True)
        except ContentError as exc:
            assert all(p.path == "list.csv" and p.line >= 1 for p in exc.problems)
        finally:
            engine.dispose()


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.timezones()))
def test_the_direct_sqlite_time_format_is_the_one_sqlalchemy_writes(moment: datetime) -> None:
    dialect = sa.create_engine("sqlite://").dialect
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None and sqlite_utc(moment) == process(moment)

