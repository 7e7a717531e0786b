"""One collector transaction leaves the pooled connection as it found it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tidings.store import open_database
from tidings.store.transactions import Connection, run_once


def _busy_timeout(connection: Connection) -> int:
    return int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one())


def _driver_connection(connection: Connection) -> object:
    return connection.connection.dbapi_connection


def test_a_pooled_sqlite_connection_gets_its_busy_timeout_back_after_one_attempt(tmp_path: Path) -> None:
    engine = open_database(url=f"sqlite:///{tmp_path / 'store.sqlite'}")
    try:
        with engine.connect() as connection:
            before, pooled = _busy_timeout(connection), _driver_connection(connection)
        seen = run_once(engine, lambda c: (_busy_timeout(c), _driver_connection(c)), 250)
        assert seen == (250, pooled)  # the attempt waited briefly, on the pooled connection
        with engine.connect() as connection:
            assert _driver_connection(connection) is pooled
            assert _busy_timeout(connection) == before == 10000
    finally:
        engine.dispose()


def test_the_busy_timeout_comes_back_when_the_work_fails(tmp_path: Path) -> None:
    engine = open_database(url=f"sqlite:///{tmp_path / 'store.sqlite'}")

    def failing(connection: Connection) -> None:
        raise RuntimeError("the work failed")

    try:
        with pytest.raises(RuntimeError):
            run_once(engine, failing, 250)
        with engine.connect() as connection:
            assert _busy_timeout(connection) == 10000
    finally:
        engine.dispose()
