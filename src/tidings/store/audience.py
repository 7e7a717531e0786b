"""Who is on the list right now, read the way a send needs it: confirmed members in id order,
in batches, with only the columns a message needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import sqlalchemy as sa

from tidings.store.schema import subscribers
from tidings.store.subscribers import parse_tags
from tidings.store.transactions import Engine


class Member(NamedTuple):
    """A confirmed subscriber as a message needs them."""

    id: int
    email: str
    name: str | None
    lang: str | None
    timezone: str | None
    tags: tuple[str, ...]


def confirmed_batches(engine: Engine, size: int) -> Iterator[list[Member]]:
    """Confirmed members in id order, ``size`` at a time (one short query per batch)."""
    c = subscribers.c
    last = 0
    with engine.connect() as connection:
        while rows := connection.execute(
                sa.select(c.id, c.email, c.name, c.lang, c.timezone, c.tags)
                .where(c.id > last, c.state == "confirmed").order_by(c.id).limit(size)).all():
            last = rows[-1][0]
            yield [Member(sid, email, name, lang, zone, parse_tags(text or ""))
                   for sid, email, name, lang, zone, text in rows]


def count_confirmed(engine: Engine) -> int:
    """How many members are confirmed (a count, not a read of the list)."""
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).where(
            subscribers.c.state == "confirmed")).scalar() or 0)


def confirmed_profiles(engine: Engine) -> Iterator[tuple[str | None, tuple[str, ...]]]:
    """Language and tags of every confirmed member (to count an audience narrowed by them)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(subscribers.c.lang, subscribers.c.tags).where(
            subscribers.c.state == "confirmed"))
        for lang, tags in rows:
            yield lang, parse_tags(tags or "")
