"""Flyway checksums and strict reading of migration files (flyway-semantics.md §3).

``checksum_of_text`` is the closed form of Flyway's ``ChecksumCalculator``: CRC32 over the UTF-8
bytes of the text with one leading U+FEFF and every CR and LF removed, as a signed 32-bit int.
(Flyway feeds CRC32 line by line through ``BufferedReader.readLine`` with nothing between lines,
which is the same thing; ``checksum_of_lines`` is that literal form, kept for tests.)

``read_migration_text`` decodes a file the way Flyway's ``FileSystemResource`` does: strictly,
so a wrong encoding is an error and never a checksum over replacement characters.
"""

from __future__ import annotations

import codecs
import os
import re
import struct
import zlib
from collections.abc import Iterable

from flywayx.errors import ChecksumError

BOM = "\ufeff"
_ENCODING_HINT = (
    "Please ensure you have configured the correct file encoding with 'flyway.encoding' "
    "or enable 'flyway.detectEncoding' to let Flyway detect it for you"
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def to_signed32(value: int) -> int:
    """Java's ``(int)`` cast of an unsigned 32-bit value."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= (1 << 31) else value


def checksum_of_text(text: str) -> int:
    """Flyway's checksum of decoded ``text`` (signed 32-bit)."""
    if text.startswith(BOM):
        text = text[1:]
    stripped = text.replace("\r", "").replace("\n", "")
    return to_signed32(zlib.crc32(stripped.encode("utf-8", "surrogatepass")))


def java_lines(text: str) -> list[str]:
    """Lines as ``BufferedReader.readLine`` yields them (terminators dropped, no empty tail)."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def checksum_of_lines(text: str) -> int:
    """The literal line-by-line algorithm of ``ChecksumCalculator``; equals ``checksum_of_text``."""
    crc = 0
    for i, line in enumerate(java_lines(text)):
        if i == 0 and line.startswith(BOM):
            line = line[1:]
        crc = zlib.crc32(line.encode("utf-8", "surrogatepass"), crc)
    return to_signed32(crc)


def combined_checksum(checksums: Iterable[int]) -> int:
    """Checksum of a migration made of several resources: CRC32 over each int, big-endian."""
    crc = 0
    for value in checksums:
        crc = zlib.crc32(struct.pack(">i", value), crc)
    return to_signed32(crc)


def _unreadable(filename: str, message: str, hint: str) -> ChecksumError:
    return ChecksumError(f"Unable to calculate checksum of {filename}\n{message}", hint=hint, filename=filename)


def decode_strict(data: bytes, encoding: str, filename: str) -> str:
    """Decode ``data`` strictly; a malformed byte raises ChecksumError with Flyway's message."""
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ChecksumError(
            f"Unknown encoding '{encoding}' for {filename}",
            hint="set 'encoding' to a known charset such as UTF-8 or ISO-8859-1",
            filename=filename,
        ) from exc
    try:
        return data.decode(encoding, errors="strict")
    except UnicodeDecodeError as exc:
        hint = (
            f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid {encoding}; "
            "re-save the file in that encoding or set 'encoding' (per script: <script>.conf)"
        )
        raise _unreadable(filename, _ENCODING_HINT, hint) from exc


def detect_file_encoding(data: bytes) -> str:
    """Flyway's ``EncodingDetector``, simplified to the cases that matter for SQL files.

    UTF-16 byte-order mark on an even-length file -> UTF-16LE/BE; else the first of UTF-8 and
    ISO-8859-1 that decodes (ISO-8859-1 always does). Approximation: Flyway's final "mostly zero
    odd bytes" UTF-16 heuristic for BOM-less UTF-16 is applied only when every odd byte is zero.
    """
    if len(data) % 2 == 0 and data[:2] == b"\xff\xfe":
        return "UTF-16LE"
    if len(data) % 2 == 0 and data[:2] == b"\xfe\xff":
        return "UTF-16BE"
    if len(data) >= 2 and len(data) % 2 == 0 and not any(data[1::2]) and any(data[0::2]):
        return "UTF-16LE"
    try:
        data.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "ISO-8859-1"


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a file; unreadable or non-regular files raise ChecksumError (never OSError)."""
    filename = os.path.basename(os.fspath(path))
    # os.open/os.read rather than open(): no buffered file object, so no fstat, ioctl and lseeks a
    # file (a scan of 10,000 files reads every one on a cold run)
    chunks = []
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
        try:
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(fd)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _unreadable(
            filename,
            f"Cannot read {os.fspath(path)}: {reason}",
            "check that the file exists and is readable by this user",
        ) from exc
    return b"".join(chunks)


def read_migration_text(path: str | os.PathLike[str], encoding: str = "UTF-8", detect_encoding: bool = False) -> str:
    """Decoded text of a migration file (BOM kept: the checksum strips it, SQL splitting may too).

    Raises ChecksumError for unreadable files, bytes that do not decode in ``encoding``, and
    binary files (a NUL byte in the decoded text: no SQL script contains one).
    """
    filename = os.path.basename(os.fspath(path))
    data = read_bytes(path)
    chosen = detect_file_encoding(data) if detect_encoding else encoding
    text = decode_strict(data, chosen, filename)
    if "\x00" in text:
        raise _unreadable(
            filename,
            f"{os.fspath(path)} looks like a binary file (it contains a NUL byte)",
            "only text files can be migrations; move it out of the migration locations",
        )
    return text


def checksum_of_file(path: str | os.PathLike[str], encoding: str = "UTF-8", detect_encoding: bool = False) -> int:
    """Flyway's checksum of a file on disk."""
    return checksum_of_text(read_migration_text(path, encoding, detect_encoding))
