"""ClickHouse's native compressed-block framing (`compress=1` / `decompress=1`).

Each block: 16-byte CityHash128 checksum of everything after it, then a 9-byte
header (method byte, u32 LE size of header+payload, u32 LE uncompressed size)
and the payload. Methods: 0x02 none, 0x82 LZ4, 0x90 ZSTD (not supported here).
"""

import struct

import lz4.block
from clickhouse_cityhash.cityhash import CityHash128

from errors import ChError

METHOD_NONE = 0x02
METHOD_LZ4 = 0x82
METHOD_ZSTD = 0x90
CHECKSUM_SIZE = 16
HEADER_SIZE = 9
# ClickHouse refuses blocks above 1 GiB; so do we, before allocating.
MAX_BLOCK = 1 << 30
# Response blocks are cut at ClickHouse's default max_compress_block_size.
OUT_BLOCK = 1 << 20


def checksum(data):
    """CityHash128 (v1.0.2) laid out as ClickHouse does: two little-endian
    u64 halves, the high half of the Python integer first (checked against
    the clickhouse crate's encoder)."""
    value = CityHash128(data)
    return struct.pack("<QQ", value >> 64, value & 0xFFFFFFFFFFFFFFFF)


def decompress(data, verify=True):
    """Decode a whole stream of compressed blocks into the raw bytes."""
    out = []
    pos = 0
    view = memoryview(data)
    while pos < len(data):
        if len(data) - pos < CHECKSUM_SIZE + HEADER_SIZE:
            raise ChError.of("CANNOT_DECOMPRESS",
                             "Cannot decompress: truncated block header")
        expected = bytes(view[pos:pos + CHECKSUM_SIZE])
        method, size, raw_size = struct.unpack_from("<BII", data, pos + CHECKSUM_SIZE)
        if size < HEADER_SIZE or size > MAX_BLOCK or raw_size > MAX_BLOCK:
            raise ChError.of("CANNOT_DECOMPRESS",
                             f"Too large size_compressed_without_checksum: {size}")
        end = pos + CHECKSUM_SIZE + size
        if end > len(data):
            raise ChError.of("CANNOT_DECOMPRESS",
                             f"Cannot decompress: block needs {size} bytes, "
                             f"{len(data) - pos - CHECKSUM_SIZE} left")
        block = view[pos + CHECKSUM_SIZE:end]
        if verify and checksum(block) != expected:
            raise ChError.of("CHECKSUM_DOESNT_MATCH",
                             f"Checksum doesn't match: corrupted data. Reference: "
                             f"{expected.hex()}. Actual: {checksum(block).hex()}. "
                             f"Size of compressed block: {size}")
        payload = block[HEADER_SIZE:]
        if method == METHOD_LZ4:
            try:
                chunk = lz4.block.decompress(payload, uncompressed_size=raw_size)
            except lz4.block.LZ4BlockError as err:
                raise ChError.of("CANNOT_DECOMPRESS",
                                 f"Cannot decompress LZ4-encoded data: {err}") from None
            if len(chunk) != raw_size:
                raise ChError.of("CANNOT_DECOMPRESS",
                                 "Cannot decompress LZ4-encoded data: size mismatch")
        elif method == METHOD_NONE:
            chunk = bytes(payload)
            if len(chunk) != raw_size:
                raise ChError.of("CANNOT_DECOMPRESS", "Uncompressed block size mismatch")
        else:
            raise ChError.of("UNKNOWN_CODEC", f"Unknown codec family code: {method}")
        out.append(chunk)
        pos = end
    return b"".join(out)


def compress(data, method=METHOD_LZ4):
    """Encode bytes as compressed blocks of at most OUT_BLOCK raw bytes."""
    out = []
    for start in range(0, len(data), OUT_BLOCK):
        raw = data[start:start + OUT_BLOCK]
        if method == METHOD_LZ4:
            payload = lz4.block.compress(raw, store_size=False)
        elif method == METHOD_NONE:
            payload = bytes(raw)
        else:
            raise ValueError(f"unsupported method {method:#x}")
        block = struct.pack("<BII", method, HEADER_SIZE + len(payload), len(raw)) + payload
        out.append(checksum(block) + block)
    return b"".join(out)
