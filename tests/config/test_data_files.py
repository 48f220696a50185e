"""Files with citizen data are this user's alone (issue 13): the real components, started in a
fresh data dir under a usual umask, write their files 0600 and their directories 0700."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from adapters.attachments import Upload, store_uploads
from casestore.db import make_engine
from casestore.migrate import upgrade
from config import load_settings
from dispatcher.redis_server import EmbeddedRedis
from dispatcher.spool import Spool

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """A shell's umask (022): the modes must come from the code, not from the caller."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def shared_with_others(data_dir: Path) -> list[str]:
    """Everything under (and including) ``data_dir`` with a group or other permission bit."""
    found = []
    for path in [data_dir, *data_dir.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISSOCK(mode) or stat.S_ISLNK(mode):
            continue  # Redis's socket is unixsocketperm 700; links have no mode of their own
        if stat.S_IMODE(mode) & 0o077:
            found.append(f"{stat.S_IMODE(mode):o} {path.relative_to(data_dir.parent)}")
    return found


def test_every_file_the_components_write_is_private(tmp_path, usual_umask):
    settings = load_settings(environ={}, env="embedded", data_dir=tmp_path / "var")
    engine = make_engine(settings.database_url)
    server = EmbeddedRedis(settings.redis_dir)
    server.start()
    try:
        upgrade(engine)
        with engine.begin() as connection:  # a write, so the -wal and -shm files exist
            connection.execute(text("CREATE TABLE probe (note TEXT)"))
            connection.execute(text("INSERT INTO probe VALUES ('Jalan rusak di Bale')"))
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM probe")).scalar()
            client = redis.Redis.from_url(server.url)
            client.rpush("satupintu:probe", "Air PDAM mati, 0812 6612 3456")
            client.save()  # an RDB dump
            client.bgrewriteaof()  # a fresh append-only base file
            deadline = time.monotonic() + 20
            while client.info("persistence")["aof_rewrite_in_progress"]:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            client.close()
            Spool(settings.spool_dir).append({"text": "Lampu jalan mati"})
            store_uploads([Upload("foto.png", "image/png", PNG)], settings.data_dir)
            names = {p.name for p in settings.data_dir.rglob("*")}
            assert {"satupintu.db-wal", "satupintu.db-shm", "dump.rdb", "secret_key"} <= names
            assert any(n.endswith(".jsonl") for n in names)
            assert any(p.suffix == ".aof" for p in settings.redis_dir.rglob("*"))
            assert shared_with_others(settings.data_dir) == []
    finally:
        server.stop()
        engine.dispose()
