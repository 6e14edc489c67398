"""Checksums and strict file reading: the closed form, encodings, and files that cannot be read."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flywayx.errors import ChecksumError
from flywayx.sources.checksum import (
    checksum_of_file,
    checksum_of_lines,
    checksum_of_text,
    java_lines,
    read_migration_text,
    to_signed32,
)

# text biased towards the characters that matter: line breaks, BOMs, non-terminators, non-ASCII
_ALPHABET = st.sampled_from(["\n", "\r", "\r\n", "\ufeff", "\x0b", "\x0c", "\x85", "\u2028", " ", "a", "é", "😀", ";"])
TEXTS = st.one_of(st.text(), st.lists(_ALPHABET, max_size=30).map("".join))


@given(TEXTS)
def test_closed_form_equals_line_by_line_algorithm(text: str) -> None:
    assert checksum_of_text(text) == checksum_of_lines(text)


@given(TEXTS)
def test_checksum_is_a_signed_32_bit_int_independent_of_line_endings(text: str) -> None:
    value = checksum_of_text(text)
    assert -(2**31) <= value < 2**31
    assert checksum_of_text(text.replace("\r\n", "\n")) == value
    assert checksum_of_text(text + "\n\n") == value


def test_signed_conversion_matches_java_int_cast() -> None:
    assert to_signed32(0xFFFFFFFF) == -1
    assert to_signed32(0x7FFFFFFF) == 2**31 - 1
    assert checksum_of_text("café") == to_signed32(zlib.crc32("café".encode()))


def test_java_lines_drop_terminators_and_final_empty_line() -> None:
    assert java_lines("a\r\nb\rc\n") == ["a", "b", "c"]
    assert java_lines("\n\n") == ["", ""]
    assert java_lines("") == []


def test_latin1_file_read_as_latin1_checksums_like_the_utf8_text(tmp_path: Path) -> None:
    latin = tmp_path / "V1__latin.sql"
    latin.write_bytes("INSERT INTO t VALUES ('déjà');\n".encode("latin-1"))
    utf8 = tmp_path / "V2__utf8.sql"
    utf8.write_text("INSERT INTO t VALUES ('déjà');\n", encoding="utf-8")
    assert checksum_of_file(latin, "ISO-8859-1") == checksum_of_file(utf8)
    assert checksum_of_file(latin, detect_encoding=True) == checksum_of_file(utf8)


def test_wrong_encoding_is_flyways_error_with_a_hint_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "V1__bad.sql"
    path.write_bytes(b"SELECT 'caf\xe9';")
    with pytest.raises(ChecksumError) as err:
        read_migration_text(path)
    assert err.value.message.startswith("Unable to calculate checksum of V1__bad.sql\nPlease ensure")
    assert err.value.hint is not None and "0xe9 at offset 11" in err.value.hint


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "V1__blob.sql"
    path.write_bytes(b"SELECT 1;\x00\x00")
    with pytest.raises(ChecksumError, match="binary file"):
        read_migration_text(path)


def test_unreadable_path_is_a_checksum_error_not_oserror(tmp_path: Path) -> None:
    with pytest.raises(ChecksumError, match="Cannot read"):
        read_migration_text(tmp_path)  # a directory
    with pytest.raises(ChecksumError, match="Cannot read"):
        read_migration_text(tmp_path / "missing.sql")


def test_unknown_encoding_name_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "V1__x.sql"
    path.write_text("SELECT 1;")
    with pytest.raises(ChecksumError, match="Unknown encoding 'klingon'"):
        read_migration_text(path, "klingon")


def test_utf16_detected_by_bom(tmp_path: Path) -> None:
    path = tmp_path / "V1__u16.sql"
    path.write_bytes("\ufeffSELECT 1;\n".encode("utf-16-le"))
    assert checksum_of_file(path, detect_encoding=True) == checksum_of_text("SELECT 1;")


def test_read_bytes_reads_a_large_file_whole_and_refuses_a_directory(tmp_path: Path) -> None:
    from flywayx.sources.checksum import read_bytes

    big = tmp_path / "V1__big.sql"
    data = b"INSERT INTO t VALUES (1);\n" * 150_000  # 3.9 MB: read in several chunks
    big.write_bytes(data)
    assert read_bytes(big) == data
    (tmp_path / "V2__dir.sql").mkdir()
    with pytest.raises(ChecksumError, match="Is a directory"):
        read_bytes(tmp_path / "V2__dir.sql")
