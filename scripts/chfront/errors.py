"""ClickHouse-style errors: the `Code: N. DB::Exception: ... (NAME)` text,
the `X-ClickHouse-Exception-Code` header and the HTTP status a real server
would pick for that error (so clients see the same failure either way)."""

import re

VERSION = "26.9"  # replaced by the engine's version() at start-up

# Error names (the trailing `(NAME)` of a message) grouped by the HTTP status a
# ClickHouse server answers with; anything else is a 500.
_STATUS_BY_NAME = {
    401: {"REQUIRED_PASSWORD"},
    403: {"UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED",
          "SET_NON_GRANTED_ROLE", "ACCESS_DENIED"},
    400: {"BAD_ARGUMENTS", "CANNOT_COMPILE_REGEXP", "CANNOT_PARSE_TEXT",
          "CANNOT_PARSE_ESCAPE_SEQUENCE", "CANNOT_PARSE_QUOTED_STRING",
          "CANNOT_PARSE_DATE", "CANNOT_PARSE_DATETIME", "CANNOT_PARSE_NUMBER",
          "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING", "CANNOT_PARSE_IPV4",
          "CANNOT_PARSE_IPV6", "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
          "CANNOT_PARSE_UUID", "DUPLICATE_COLUMN", "ILLEGAL_COLUMN",
          "UNKNOWN_ELEMENT_IN_AST", "UNKNOWN_TYPE_OF_AST_NODE",
          "THERE_IS_NO_COLUMN", "TOO_DEEP_AST", "TOO_BIG_AST",
          "UNEXPECTED_AST_STRUCTURE", "SYNTAX_ERROR", "INCORRECT_DATA",
          "TYPE_MISMATCH", "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE"},
    404: {"UNKNOWN_TABLE", "UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER",
          "UNKNOWN_TYPE", "UNKNOWN_STORAGE", "UNKNOWN_DATABASE",
          "UNKNOWN_SETTING", "UNKNOWN_DIRECTION_OF_SORTING",
          "UNKNOWN_AGGREGATE_FUNCTION", "UNKNOWN_FORMAT",
          "UNKNOWN_DATABASE_ENGINE", "UNKNOWN_TYPE_OF_QUERY", "UNKNOWN_ROLE"},
    413: {"QUERY_IS_TOO_LARGE"},
    501: {"NOT_IMPLEMENTED"},
    503: {"SOCKET_TIMEOUT", "CANNOT_OPEN_FILE", "CANNOT_SCHEDULE_TASK"},
    411: {"HTTP_LENGTH_REQUIRED"},
    408: {"TIMEOUT_EXCEEDED"},
    415: {"UNSUPPORTED_MEDIA_TYPE"},
}
_STATUS = {name: status for status, names in _STATUS_BY_NAME.items() for name in names}

# Codes for the errors the front raises itself (same numbers as ClickHouse).
CODES = {
    "BAD_ARGUMENTS": 36,
    "CHECKSUM_DOESNT_MATCH": 40,
    "SYNTAX_ERROR": 62,
    "UNKNOWN_FORMAT": 73,
    "CANNOT_DECOMPRESS": 271,
    "READONLY": 164,
    "UNKNOWN_COMPRESSION_METHOD": 270,
    "UNKNOWN_CODEC": 432,
    "HTTP_LENGTH_REQUIRED": 381,
    "CORRUPTED_DATA": 246,
    "NOT_IMPLEMENTED": 48,
    "LOGICAL_ERROR": 49,
}

_HEAD = re.compile(r"Code: (\d+)\. ")
_VERSION = re.compile(r" \(version [^()]*(?:\([^()]*\))?\)")
_TAIL_NAME = re.compile(r"\.?\s*\(([A-Z][A-Z0-9_]+)\)\s*$")


class ChError(Exception):
    """An error to answer the way ClickHouse does."""

    def __init__(self, code, name, message):
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message

    @classmethod
    def of(cls, name, message):
        return cls(CODES.get(name, 1001), name, message)

    @classmethod
    def from_engine(cls, text):
        """Wrap an engine error. chDB sometimes nests the prefix twice
        (`Code: 115. DB::Exception: Code: 115. DB::Exception: ...`) and
        repeats the name; normalise to the single form a server sends."""
        text = str(text).strip()
        head = _HEAD.match(text)
        if not head:
            return cls.of("LOGICAL_ERROR", text)
        code = int(head.group(1))
        prefix = f"Code: {code}. DB::Exception: "
        body = text
        while body.startswith(prefix):
            body = body[len(prefix):]
        body = _VERSION.sub("", body)
        name = None
        while (tail := _TAIL_NAME.search(body)) is not None:
            name = name or tail.group(1)
            body = body[:tail.start()]
        return cls(code, name or "UNKNOWN_EXCEPTION", body.rstrip().rstrip("."))

    @property
    def status(self):
        return _STATUS.get(self.name, 500)

    def text(self):
        """The body a ClickHouse server sends for this error."""
        return (f"Code: {self.code}. DB::Exception: {self.message}. ({self.name}) "
                f"(version {VERSION} (official build))\n")
