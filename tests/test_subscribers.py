"""The subscriber list: states with a consent record, and CSV import that loses nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import MakeRepo
from tidings.errors import ContentError
from tidings.store import open_database
from tidings.store.importer import import_csv
from tidings.store.schema import consent_events, subscribers
from tidings.store.subscribers import add, export_csv, get, stats, unsubscribe


def write_csv(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def everyone(engine: sa.Engine) -> list[tuple[str, str, str | None, str]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(subscribers.c.email, subscribers.c.state, subscribers.c.name,
                                            subscribers.c.tags).order_by(subscribers.c.email))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_import_maps_columns_by_header_normalizes_and_merges_duplicates(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    path = write_csv(tmp_path, "First name;Last name;E-Mail;Language;Groups\n"
                               "Jörg;Weiß;Joerg@Example.ORG;de;translators\n"
                               "Ana;;ana@example.org;pt-BR;\n"
                               ";;JOERG@example.org;;mappers\n")
    result = import_csv(engine, path)
    assert (result.added, result.updated, result.unchanged) == (2, 0, 0)
    assert everyone(engine) == [
        ("Joerg@example.org", "confirmed", "Jörg Weiß", "mappers,translators"),
        ("ana@example.org", "confirmed", "Ana", ""),
    ]
    with engine.connect() as connection:
        sources = connection.execute(sa.select(consent_events.c.source)).scalars().all()
    assert sources == ["import:list.csv", "import:list.csv"]


def test_a_file_with_bad_rows_changes_nothing_and_names_each_bad_line(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    path = write_csv(tmp_path, "email,name,timezone\n"
                               "good@example.org,Good,\n"
                               "not-an-address,Bad,\n"
                               "tz@example.org,Tz,Mars/Olympus\n")
    with pytest.raises(ContentError) as caught:
        import_csv(engine, path)
    problems = [str(p) for p in caught.value.problems]
    assert problems[0].startswith("list.csv:3: email: 'not-an-address' is not a valid address")
    assert problems[1] == ("list.csv:4: timezone: 'Mars/Olympus' is not an IANA timezone "
                           "such as Europe/Helsinki")
    assert everyone(engine) == []
    result = import_csv(engine, path, skip_invalid=True)
    assert result.added == 1 and len(result.skipped) == 2
    assert everyone(engine) == [("good@example.org", "confirmed", "Good", "")]


def test_importing_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    path = write_csv(tmp_path, "email,name,tags\na@example.org,A,x\nb@example.org,B,\n")
    import_csv(engine, path)
    before = everyone(engine)
    with engine.connect() as connection:
        events = connection.execute(sa.select(sa.func.count()).select_from(consent_events)).scalar()
    result = import_csv(engine, path)
    assert (result.added, result.updated, result.unchanged) == (0, 0, 2)
    assert everyone(engine) == before
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(consent_events)).scalar() == events


def test_import_never_resubscribes_people_who_left_or_bounced(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    with engine.begin() as connection:
        gone = add(connection, "gone@example.org")[0]
        dead = add(connection, "dead@example.org")[0]
        unsubscribe(connection, gone.id, source="one-click")
        unsubscribe(connection, dead.id, source="smtp", to_state="bounced", detail="550 no such user")
    result = import_csv(engine, write_csv(tmp_path, "email\ngone@example.org\nDEAD@example.org\n"))
    assert result.kept_out == 2 and result.added == 0
    assert [s for _, s, _, _ in everyone(engine)] == ["bounced", "unsubscribed"]


def test_every_state_change_is_recorded_with_time_and_source(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    with engine.begin() as connection:
        someone, _ = add(connection, "p@example.org", state="pending", source="form:signup")
        add(connection, "p@example.org", source="confirm-link")
        unsubscribe(connection, someone.id, source="list-unsubscribe")
        history = connection.execute(sa.select(consent_events.c.from_state, consent_events.c.to_state,
                                               consent_events.c.source, consent_events.c.at)
                                     .order_by(consent_events.c.id)).all()
        assert [tuple(h[:3]) for h in history] == [
            (None, "pending", "form:signup"), ("pending", "confirmed", "confirm-link"),
            ("confirmed", "unsubscribed", "list-unsubscribe")]
        assert all(h.at.tzinfo is not None for h in history)
        counts = stats(connection)
    assert counts["unsubscribed"] == 1 and counts["joined_30d"] == 1 and counts["left_30d"] == 1


def test_export_writes_every_subscriber_atomically(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    with engine.begin() as connection:
        add(connection, "a@example.org", name="Ä, with comma", tags="x,y")
    out = tmp_path / "out.csv"
    with engine.connect() as connection:
        assert export_csv(connection, path=out) == 1
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "email,name,lang,timezone,tags,state,created_at"
    assert lines[1].startswith('a@example.org,"Ä, with comma",,,"x,y",confirmed,')
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), "subscribers", *args],
                          capture_output=True, text=True)


def test_subscribers_commands(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make_repo({})
    assert run(root, "add", "ann@example.org", "--name", "Ann", "--tags", "a,b").returncode == 0
    bad = run(root, "add", "not an address")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert run(root, "remove", "ann@example.org").returncode == 0
    again = run(root, "add", "ann@example.org")
    assert again.returncode == 1 and "unsubscribed" in again.stdout
    listed = run(root, "list").stdout
    assert listed.startswith("ann@example.org\tunsubscribed\tAnn")
    csv_file = write_csv(tmp_path, "email\nnew@example.org\nbroken\n")
    failed = run(root, "import", str(csv_file))
    assert failed.returncode == 1 and "list.csv:3:" in failed.stderr and "Traceback" not in failed.stderr
    assert "new@example.org" not in run(root, "list").stdout
    assert "1 added" in run(root, "import", str(csv_file), "--skip-invalid").stdout
    assert "confirmed: 1" in run(root, "stats").stdout.replace("     ", "")
    exported = run(root, "export").stdout
    assert exported.splitlines()[0].startswith("email,name") and "new@example.org" in exported


# -- PostgreSQL: the same code against a real server, when one is installed ------------------

def test_the_same_code_works_on_postgresql(postgres_url: str, make_repo: MakeRepo,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_send import SendOptions, make_community, send
    from tidings.mail.catcher import CatchingHandler, LocalSMTPServer

    monkeypatch.setenv("TIDINGS_DATABASE_URL", postgres_url)
    root, engine = make_community(make_repo, 25)
    assert engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        unsubscribe(connection, get(connection, "member0003@example.org").id, source="test")  # type: ignore[union-attr]
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        first = send(root, engine, server, SendOptions(concurrency=4))
        second = send(root, engine, server, SendOptions(concurrency=4))
    assert first.sent == 24 and second.sent == 0 and len(handler.received) == 24
    assert "member0003@example.org" not in handler.received
    open_database(url=postgres_url)  # migrations already applied: opening again changes nothing
