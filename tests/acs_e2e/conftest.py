"""Fixtures for the CloudStack end-to-end tests: a SOURCE tree, one imported project, and the
``cloud``/``cloud_usage`` pair (the scripts hard-code both names, so tests using them take a file
lock, shared by xdist workers, and drop both schemas before and after)."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from flywayx_cloudstack.project import CLOUDSTACK_OVERRIDES, import_acs
from tests.acs_e2e.java_fixture import write_source_tree
from tests.conftest import corpus_or_skip
from tests.databases import MARIADB_URL

LOCK = Path(tempfile.gettempdir()) / "flywayx-acs-cloud-schemas.lock"


@pytest.fixture(scope="session")
def acs_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(SOURCE tree, imported project) built once per worker."""
    acs_corpus = corpus_or_skip()
    base = tmp_path_factory.mktemp("acs")
    source = write_source_tree(acs_corpus, base / "source")
    import_acs(source, base / "project", overrides=CLOUDSTACK_OVERRIDES)
    return source, base / "project"


class CloudPair:
    """Connection details for the server holding ``cloud`` and ``cloud_usage``."""

    def __init__(self) -> None:
        u = urlsplit(MARIADB_URL)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 3306
        self.user, self.password = u.username or "root", u.password or ""
        auth = f"{self.user}:{self.password}@" if self.password else f"{self.user}@"
        self.url = f"mysql://{auth}{self.host}:{self.port}/"

    def connect(self, database: str | None = None) -> object:
        import pymysql

        return pymysql.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, database=database, autocommit=True
        )

    def drop(self) -> None:
        conn = self.connect()
        with conn.cursor() as cur:  # type: ignore[attr-defined]
            for name in ("cloud", "cloud_usage"):
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()  # type: ignore[attr-defined]


@pytest.fixture
def cloud_pair(mariadb: object) -> Iterator[CloudPair]:
    """Exclusive use of the ``cloud``/``cloud_usage`` schemas (dropped before and after)."""
    del mariadb  # only to skip/fail like other MariaDB tests when the server is absent
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pair = CloudPair()
        pair.drop()
        try:
            yield pair
        finally:
            pair.drop()
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _quiet_stub_policy() -> Iterator[None]:
    os.environ.pop("FLYWAYX_ACS_JAVA_POLICY", None)
    yield
