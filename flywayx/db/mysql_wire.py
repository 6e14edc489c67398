"""Reading the results of one multi-statement packet off a PyMySQL connection, lean.

PyMySQL reads each result through a ``MySQLResult``, an ``OKPacketWrapper`` or one
``FieldDescriptorPacket`` per column, each parsed field by field; for flywayx's two packets per small
migration (~18 results, 4 of them rows) that was ~1.2 ms of CPU a migration, as much as the rest of
the apply path. Here each result is parsed straight from the packet's bytes, and rows are converted
with the connection's own decoders by PyMySQL's rules (``MySQLResult._get_descriptions``: text columns
decoded in the connection's encoding, binary ones left as bytes, others ASCII).

Each packet is framed by ``_packet``, PyMySQL's ``Connection._read_packet`` without the objects it
builds per packet (a ``MysqlPacket``, a join of the parts): the bytes are read by PyMySQL's own
``_read_bytes`` (the read timeout and a lost connection raise exactly as before), the sequence number
is checked and a wrong one closes the connection with PyMySQL's error, a payload of 16 MB or more is
joined with its continuation packets, and the server's error packet raises PyMySQL's exception for it.
~40 packets a small migration: this was a seventh of the Python calls of its whole apply path.

Only what a text-protocol ``COM_QUERY`` can answer is handled: an OK packet, a result set, or a LOCAL
INFILE request, which is left to PyMySQL (it refuses it unless the connection allows local files).
"""

from __future__ import annotations

from dataclasses import dataclass
from struct import unpack_from
from typing import Any

_MORE_RESULTS = 8  # SERVER_STATUS.SERVER_MORE_RESULTS_EXISTS
_BINARY = 63  # the binary character set: a TEXT/BLOB column of it is bytes
_UNTRACKED = object()  # a PyMySQL without ``Connection._current_timeout`` (1.1)
_MAX_PACKET = 2**24 - 1  # a payload this long goes on in the next packet (pymysql.connections.MAX_PACKET_LEN)


@dataclass
class Result:
    """One statement's result: its row count (affected, or rows returned), warning count, whether
    another result follows, and for a result set the column names and the rows."""

    rowcount: int
    warning_count: int
    has_next: bool
    columns: list[str] | None = None
    rows: list[tuple[Any, ...]] | None = None


def send_query(conn: Any, sql: str) -> None:
    """Send ``sql`` as one ``COM_QUERY`` (PyMySQL's own write, with its write timeout)."""
    from pymysql.constants import COMMAND

    conn._execute_command(COMMAND.COM_QUERY, sql.encode(conn.encoding))
    conn._result = None  # nothing of an earlier query is left to read (every result is read here)


def read_result(conn: Any) -> Result:
    """The next result of the query sent; the server's error raises PyMySQL's exception for it."""
    data = _packet(conn)  # raises on an error packet
    first = data[0]
    if first == 0 and len(data) >= 7:  # OK
        affected, pos = _int(data, 1)
        pos = _skip_int(data, pos)
        status, warnings = unpack_from("<HH", data, pos)
        conn.server_status = status
        return Result(affected or 0, warnings, bool(status & _MORE_RESULTS))
    if first == 0xFB:  # LOCAL INFILE request: PyMySQL's handling (and refusal)
        return _local_infile(conn, data)
    return _result_set(conn, data)


def _result_set(conn: Any, data: bytes) -> Result:
    from pymysql import converters
    from pymysql.connections import TEXT_TYPES
    from pymysql.constants import FIELD_TYPE

    count, _ = _int(data, 0)
    encoding = conn.encoding
    names: list[str] = []
    decode: list[tuple[str | None, Any]] = []
    for _ in range(count or 0):
        field = _packet(conn)
        pos = 0
        for _skip in range(4):  # catalog, schema, table, original table
            pos = _skip_str(field, pos)
        size, pos = _int(field, pos)
        names.append(field[pos : pos + (size or 0)].decode(encoding))
        pos = _skip_str(field, pos + (size or 0))  # original name
        charset, type_code = unpack_from("<xH4xB", field, pos)
        if not conn.use_unicode:
            enc = None
        elif type_code == FIELD_TYPE.JSON:
            enc = encoding
        elif type_code in TEXT_TYPES:
            enc = None if charset == _BINARY else encoding
        else:
            enc = "ascii"
        convert = conn.decoders.get(type_code)
        decode.append((enc, None if convert is converters.through else convert))
    _packet(conn)  # the EOF after the column definitions
    rows: list[tuple[Any, ...]] = []
    while True:
        row = _packet(conn)
        if row[0] == 0xFE and len(row) < 9:  # EOF: warnings, status
            warnings, status = unpack_from("<HH", row, 1)
            conn.server_status = status
            return Result(len(rows), warnings, bool(status & _MORE_RESULTS), names, rows)
        rows.append(_row(row, decode))


def _packet(conn: Any) -> bytes:
    """The payload of the next packet, read and checked as ``Connection._read_packet`` does (see the
    module doc); an error packet raises the server's error."""
    # PyMySQL 1.2 switches the socket between its read and write timeouts (``_current_timeout``);
    # 1.1 sets the read timeout once, at connect, and has no such attribute
    current = getattr(conn, "_current_timeout", _UNTRACKED)
    if current is not _UNTRACKED and current != conn._read_timeout:
        conn._sock.settimeout(conn._read_timeout)
        conn._current_timeout = conn._read_timeout
    read = conn._read_bytes
    parts: list[bytes] = []
    while True:
        header = read(4)
        size, seq = header[0] | header[1] << 8 | header[2] << 16, header[3]
        if seq != conn._next_seq_id:
            _wrong_sequence(conn, seq)
        conn._next_seq_id = (seq + 1) % 256
        payload: bytes = read(size)
        if size < _MAX_PACKET:
            break
        parts.append(payload)  # 16 MB or more: the payload goes on in the next packet
    if parts:
        payload = b"".join([*parts, payload])
    if payload[:1] == b"\xff":
        from pymysql import err

        result = conn._result
        if result is not None and result.unbuffered_active is True:
            result.unbuffered_active = False
        err.raise_mysql_exception(payload)
    return payload


def _wrong_sequence(conn: Any, seq: int) -> None:
    """PyMySQL's answer to a packet out of sequence: the connection is closed, and a packet numbered 0
    (MariaDB's error packet at shutdown) is a lost connection."""
    from pymysql import err
    from pymysql.constants import CR

    conn._force_close()
    if seq == 0:
        raise err.OperationalError(CR.CR_SERVER_LOST, "Lost connection to MySQL server during query")
    raise err.InternalError(f"Packet sequence number wrong - got {seq} expected {conn._next_seq_id}")


def _row(data: bytes, decode: list[tuple[str | None, Any]]) -> tuple[Any, ...]:
    values: list[Any] = []
    pos, end = 0, len(data)
    for enc, convert in decode:
        if pos >= end:  # fewer values than columns (PyMySQL stops there too)
            break
        size, pos = _int(data, pos)
        if size is None:
            values.append(None)
            continue
        value: Any = data[pos : pos + size]
        pos += size
        if enc is not None:
            value = value.decode(enc)
        if convert is not None:
            value = convert(value)
        values.append(value)
    return tuple(values)


def _int(data: bytes, pos: int) -> tuple[int | None, int]:
    """A length-encoded integer at ``pos`` (None: SQL NULL) and the position after it."""
    c = data[pos]
    if c < 0xFB:
        return c, pos + 1
    if c == 0xFB:
        return None, pos + 1
    width = 2 if c == 0xFC else 3 if c == 0xFD else 8
    return int.from_bytes(data[pos + 1 : pos + 1 + width], "little"), pos + 1 + width


def _skip_int(data: bytes, pos: int) -> int:
    c = data[pos]
    return pos + (1 if c < 0xFC else 3 if c == 0xFC else 4 if c == 0xFD else 9)


def _skip_str(data: bytes, pos: int) -> int:
    size, pos = _int(data, pos)
    return pos + (size or 0)


def _local_infile(conn: Any, data: bytes) -> Result:
    from pymysql.connections import MySQLResult
    from pymysql.protocol import MysqlPacket

    result = MySQLResult(conn)
    try:
        result._read_load_local_packet(MysqlPacket(data, conn.encoding))
    finally:
        result.connection = None
    return Result(int(result.affected_rows or 0), int(result.warning_count), bool(result.has_next))


__all__ = ["Result", "read_result", "send_query"]
