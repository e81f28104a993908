"""Just enough SQL lexing to route a request: the leading keyword, and where an
`INSERT ... FORMAT name` statement ends and its inline data begins.

Works on latin-1 decoded text so that character offsets equal byte offsets
(the data after FORMAT may be binary)."""

import re

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_READ_ONLY = {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN"}


def _skip_quoted(text, pos, quote):
    """Position after the literal/identifier opened at pos (backslash escapes
    and doubled quotes both allowed, as in ClickHouse)."""
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(text)


def tokens(text, start=0):
    """Yield (offset, word) for each bare word outside quotes and comments."""
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            i = _skip_quoted(text, i, ch)
        elif text.startswith("--", i) or ch == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch.isalpha() or ch == "_":
            m = _WORD.match(text, i)
            yield i, m.group(0)
            i = m.end()
        else:
            i += 1


def leading_keyword(text):
    for _, word in tokens(text):
        return word.upper()
    return ""


def is_read_only(text):
    return leading_keyword(text) in _READ_ONLY


def split_insert(text):
    """For `INSERT ... FORMAT name<data>` return (statement, format, data_offset).

    The statement excludes the FORMAT clause (chDB's streaming insert wants it
    that way). As in ClickHouse, data starts after the first newline that
    follows the format name, or after the whitespace if no newline comes
    first. Returns None for INSERTs without FORMAT (VALUES, SELECT)."""
    words = tokens(text)
    first = next(words, None)
    if first is None or first[1].upper() != "INSERT":
        return None
    for offset, word in words:
        if word.upper() != "FORMAT":
            continue
        m = _WORD.match(text, _skip_space(text, offset + len(word)))
        if not m:
            return None
        pos = m.end()
        while pos < len(text) and text[pos] in " \t\r\f\v":
            pos += 1
        if pos < len(text) and text[pos] == "\n":
            pos += 1
        return text[:offset].rstrip(), m.group(0), pos
    return None


def output_format(text):
    """The name in a trailing `FORMAT name` clause of a non-INSERT query."""
    words = list(tokens(text))
    if len(words) < 2 or words[-2][1].upper() != "FORMAT":
        return None
    offset, name = words[-1]
    if text[offset + len(name):].strip(" \t\r\n;"):
        return None
    return name


def _skip_space(text, pos):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos
