"""The store: subscribers, their consent history and the send log, in SQLite or PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from tidings.errors import ConfigError
from tidings.store.schema import MIGRATIONS, schema_version

DATABASE_ENV = "TIDINGS_DATABASE_URL"
__all__ = ["DATABASE_ENV", "database_url", "now", "open_database"]


def now() -> datetime:
    return datetime.now(UTC)


def database_url(root: Path) -> str:
    """``TIDINGS_DATABASE_URL``, else a SQLite file in ``.tidings/``."""
    url = os.environ.get(DATABASE_ENV, "")
    if url:
        # psycopg 3 is the driver installed by the `postgres` extra.
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    state = root / ".tidings"
    state.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(state / 'tidings.sqlite').resolve()}"


def _sqlite_pragmas(dbapi_connection: object, _: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL: the collector can record unsubscribes while a send is running; writes are durable.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def open_database(root: Path | None = None, url: str | None = None) -> sa.Engine:
    """An engine for the community's database, migrated to the current schema."""
    if url is None:
        if root is None:
            raise ValueError("open_database needs a root or a URL")
        url = database_url(root)
    try:
        engine = sa.create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    except (sa.exc.ArgumentError, ModuleNotFoundError) as exc:
        raise ConfigError(f"{DATABASE_ENV}: cannot use {url.split('://')[0]}:// ({exc})") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"cannot open the database: {exc.orig}") from None
    return engine


def migrate(engine: sa.Engine) -> int:
    """Apply the migrations this database has not seen; return the schema version."""
    with engine.begin() as connection:
        schema_version.create(connection, checkfirst=True)
        current = connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
    for version, step in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        with engine.begin() as connection:
            # Two processes may race to migrate: the primary key lets only one record the step.
            if connection.execute(sa.select(schema_version.c.version).where(
                    schema_version.c.version == version)).first():
                continue
            step(connection)
            connection.execute(schema_version.insert().values(version=version, applied_at=now()))
        current = version
    return current
