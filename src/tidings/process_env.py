"""The one place tidings sets environment variables, and always puts them back.

Some parts read only the environment: MkDocs (``SOURCE_DATE_EPOCH``) and uvicorn's worker
processes (the collector's repo root). Everything else is passed as arguments.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping


@contextlib.contextmanager
def scoped_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the ``with`` block; restore the previous ones after."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
