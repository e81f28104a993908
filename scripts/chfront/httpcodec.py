"""HTTP body plumbing: chunked request bodies, Content-Encoding of requests and
responses (lz4 frame, gzip, deflate) and multipart/form-data query fields."""

import gzip
import re
import zlib

import lz4.frame

from errors import ChError

# Encodings we produce, in the order we prefer them when a client accepts several.
_RESPONSE_ENCODINGS = ("lz4", "gzip", "deflate")
MAX_BODY = 4 << 30


def read_chunked(rfile):
    """Read a Transfer-Encoding: chunked body to the end (trailers skipped)."""
    parts = []
    total = 0
    while True:
        line = rfile.readline(1024)
        if not line:
            raise ChError.of("CORRUPTED_DATA", "Unexpected end of chunked request body")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ChError.of("CORRUPTED_DATA", f"Bad chunk size line {line[:40]!r}") from None
        if size == 0:
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise ChError.of("QUERY_IS_TOO_LARGE", "Request body too large")
        chunk = rfile.read(size)
        if len(chunk) != size:
            raise ChError.of("CORRUPTED_DATA", "Unexpected end of chunked request body")
        parts.append(chunk)
        rfile.readline(16)  # CRLF after the chunk


def decode_request(body, content_encoding):
    enc = (content_encoding or "").strip().lower()
    try:
        if enc in ("", "identity", "none"):
            return body
        if enc == "gzip":
            return gzip.decompress(body)
        if enc == "deflate":
            return zlib.decompress(body)
        if enc == "lz4":
            return lz4.frame.decompress(body)
    except (OSError, EOFError, zlib.error, RuntimeError) as err:
        raise ChError.of("CANNOT_DECOMPRESS", f"Cannot decompress {enc} request body: {err}") from None
    raise ChError.of("UNKNOWN_COMPRESSION_METHOD", f"Unknown HTTP compression method: {enc}")


def pick_encoding(accept_encoding):
    """The response encoding to use for an Accept-Encoding header, or None."""
    offered = []
    for item in (accept_encoding or "").split(","):
        name, _, params = item.strip().lower().partition(";")
        if re.search(r"q=0(\.0*)?\s*$", params):
            continue
        offered.append(name.strip())
    for name in offered:
        if name in _RESPONSE_ENCODINGS:
            return name
    return None


def encode_response(body, encoding):
    if encoding == "lz4":
        return lz4.frame.compress(body)
    if encoding == "gzip":
        return gzip.compress(body, compresslevel=3)
    if encoding == "deflate":
        return zlib.compress(body, 3)
    return body


def multipart_fields(body, content_type):
    """name -> value (bytes) of a multipart/form-data body."""
    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not m:
        raise ChError.of("BAD_ARGUMENTS", "multipart/form-data without a boundary")
    delimiter = b"--" + m.group(1).encode("latin-1")
    fields = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep:
            raise ChError.of("BAD_ARGUMENTS", "malformed multipart/form-data part")
        name = re.search(rb'name="([^"]*)"', head)
        if not name:
            raise ChError.of("BAD_ARGUMENTS", "multipart part without a name")
        if value.endswith(b"\r\n"):
            value = value[:-2]
        fields[name.group(1).decode("utf-8", "replace")] = value
    return fields
