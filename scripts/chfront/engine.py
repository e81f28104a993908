"""The chDB engine behind one lock.

chDB is one in-process ClickHouse session, while every HTTP request to a real
server gets a fresh context. So each request, under the lock, selects its
database, applies its settings with SET and resets them afterwards; SET
statements sent as queries are accepted and have no lasting effect (as over
HTTP without a session)."""

import re
import threading
import time
from dataclasses import dataclass, field

from chdb.state import sqlitelike

import sqltext
from errors import ChError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Request:
    sql: bytes                      # statement text, possibly followed by inline data
    database: str = "default"
    settings: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    default_format: str = "TabSeparated"
    readonly: bool = False


@dataclass
class Result:
    body: bytes
    format: str
    summary: dict


def _quote_ident(name):
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _quote_str(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Engine:
    def __init__(self, path):
        self._conn = sqlitelike.connect(path)
        self._lock = threading.Lock()
        self.version = self._raw("SELECT version()").strip()
        self.timezone = self._raw("SELECT timezone()").strip()

    def _raw(self, sql, fmt="TabSeparated", params=None):
        try:
            return self._conn.query(sql, fmt, params=params).bytes().decode()
        except RuntimeError as err:
            raise ChError.from_engine(err) from None

    def close(self):
        with self._lock:
            self._conn.close()

    def execute(self, req):
        text = req.sql.decode("latin-1")
        if not text.strip():
            raise ChError.of("SYNTAX_ERROR", "Empty query")
        if req.readonly and not sqltext.is_read_only(text):
            raise ChError.of("READONLY", "Cannot execute query in readonly mode")
        with self._lock:
            started = time.monotonic_ns()
            applied = []
            try:
                self._call(lambda: self._conn.query(f"USE {_quote_ident(req.database)}"))
                for name, value in req.settings.items():
                    if not _IDENT.match(name):
                        raise ChError(115, "UNKNOWN_SETTING", f"Unknown setting '{name}'")
                    self._call(lambda: self._conn.query(f"SET {name} = {_quote_str(value)}"))
                    applied.append(name)
                result = self._dispatch(text, req)
            finally:
                for name in applied:
                    self._call(lambda: self._conn.query(f"SET {name} = DEFAULT"))
            result.summary["elapsed_ns"] = str(time.monotonic_ns() - started)
            return result

    def _dispatch(self, text, req):
        keyword = sqltext.leading_keyword(text)
        if keyword == "SET":
            return Result(b"", req.default_format, _summary())
        split = sqltext.split_insert(text)
        if split is not None:
            statement, fmt, offset = split
            return self._insert(_utf8(statement), fmt, req.sql[offset:])
        sql = _utf8(text)
        fmt = sqltext.output_format(text) or req.default_format
        res = self._call(lambda: self._conn.query(sql, req.default_format, params=req.params))
        body = res.bytes()
        return Result(body, fmt, _summary(res.rows_read(), res.bytes_read(),
                                          res.rows_written(), res.bytes_written(), len(body)))

    def _insert(self, statement, fmt, data):
        inserter = self._call(lambda: self._conn.send_insert(statement, fmt))
        try:
            if data:
                self._call(lambda: inserter.append(data))
            done = self._call(inserter.finish)
        except BaseException:
            try:
                inserter.cancel()
            except RuntimeError:
                pass
            raise
        return Result(b"", fmt, _summary(written_rows=done.rows_written,
                                         written_bytes=done.bytes_written))

    @staticmethod
    def _call(fn):
        try:
            return fn()
        except RuntimeError as err:
            # the streaming wrappers prefix their own words; keep the engine's text
            msg = str(err)
            at = msg.find("Code: ")
            raise ChError.from_engine(msg[at:] if at >= 0 else msg) from None


def _utf8(latin1_text):
    """Back from the byte-preserving latin-1 view to the real (UTF-8) text."""
    return latin1_text.encode("latin-1").decode("utf-8", "replace")


def _summary(read_rows=0, read_bytes=0, written_rows=0, written_bytes=0, result_bytes=0):
    return {
        "read_rows": str(read_rows), "read_bytes": str(read_bytes),
        "written_rows": str(written_rows), "written_bytes": str(written_bytes),
        "total_rows_to_read": str(read_rows), "result_bytes": str(result_bytes),
    }
