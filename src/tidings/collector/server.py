"""Run the collector with uvicorn: ``collect`` (one process) or several workers behind a proxy."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from tidings.collector.app import create_app

ROOT_ENV = "TIDINGS_ROOT"


def app() -> Starlette:
    """Factory for uvicorn workers: the community repo comes from ``TIDINGS_ROOT``."""
    return create_app(Path(os.environ.get(ROOT_ENV, ".")))


def serve(root: Path, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    os.environ[ROOT_ENV] = str(root.resolve())
    create_app(root)  # fail early, with a clear message, before uvicorn starts workers
    uvicorn.run("tidings.collector.server:app", factory=True, host=host, port=port, workers=workers,
                proxy_headers=True, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                access_log=False, log_level="info")
