"""Fixtures shared by the unit tests of the CloudStack encryption port."""

from __future__ import annotations

import pytest

from tests.fixtures.jvm_crypt.jvm import Jvm, compile_jvm

# The keys the encryption tests configure a management server with.
MGMT_KEY = "management-key-7Q2"
DB_SECRET = "db-secret-x9K4pL"


@pytest.fixture(scope="module")
def jvm(tmp_path_factory: pytest.TempPathFactory) -> Jvm:
    """The JVM program that encrypts and decrypts as CloudStack does (skips without a JDK)."""
    found = compile_jvm(tmp_path_factory.mktemp("jvm"))
    if found is None:
        pytest.skip("no JDK (javac, java) to compare with")
    return found
