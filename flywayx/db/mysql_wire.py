"""Reading the results of one multi-statement packet off a PyMySQL connection, lean.

PyMySQL reads each result through a ``MySQLResult``, an ``OKPacketWrapper`` or one
``FieldDescriptorPacket`` per column, each parsed field by field; for flywayx's two packets per small
migration (~18 results, 4 of them rows) that was ~1.2 ms of CPU a migration, as much as the rest of
the apply path. Here each result is parsed straight from the packet's bytes; every packet is still
read by PyMySQL's own ``Connection._read_packet`` (sequence numbers, the read timeout, a lost
connection and the server's error packet all behave, and raise, exactly as before), and rows are
converted with the connection's own decoders by PyMySQL's rules (``MySQLResult._get_descriptions``:
text columns decoded in the connection's encoding, binary ones left as bytes, others ASCII).

Only what a text-protocol ``COM_QUERY`` can answer is handled: an OK packet, a result set, or a LOCAL
INFILE request, which is left to PyMySQL (it refuses it unless the connection allows local files).
"""

from __future__ import annotations

from dataclasses import dataclass
from struct import unpack_from
from typing import Any

_MORE_RESULTS = 8  # SERVER_STATUS.SERVER_MORE_RESULTS_EXISTS
_BINARY = 63  # the binary character set: a TEXT/BLOB column of it is bytes


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
    data = conn._read_packet().get_all_data()  # raises on an error packet
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
        field = conn._read_packet().get_all_data()
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
    conn._read_packet()  # the EOF after the column definitions
    rows: list[tuple[Any, ...]] = []
    while True:
        row = conn._read_packet().get_all_data()
        if row[0] == 0xFE and len(row) < 9:  # EOF: warnings, status
            warnings, status = unpack_from("<HH", row, 1)
            conn.server_status = status
            return Result(len(rows), warnings, bool(status & _MORE_RESULTS), names, rows)
        rows.append(_row(row, decode))


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
