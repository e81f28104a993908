"""Tests of chfront: the framing/lexing/codec units, then the HTTP server
over a real chDB engine (started in-process on a free port)."""

import http.client
import json
import struct
import threading
import uuid
from urllib.parse import urlencode

import lz4.frame
import pytest

import framing
import httpcodec
import sqltext
from errors import ChError
from server import serve

# --- units --------------------------------------------------------------------


def test_framing_round_trip_lz4_and_none():
    data = b"".join(struct.pack("<Q", i) for i in range(300_000))  # > one block
    for method in (framing.METHOD_LZ4, framing.METHOD_NONE):
        packed = framing.compress(data, method)
        assert packed[framing.CHECKSUM_SIZE] == method
        assert framing.decompress(packed) == data


# One block as the clickhouse crate (0.15.3, `_priv::lz4_compress`) encodes
# "ocsfmap chfront checksum fixture\n" * 3: pins the checksum layout.
CRATE_BLOCK = bytes.fromhex(
    "e3d90a0eff85c60c9b3719923cb569c5823600000063000000ff126f6373666d617020636866726f"
    "6e7420636865636b73756d20666978747572650a2100296078747572650a")


def test_framing_reads_the_crates_blocks():
    assert framing.decompress(CRATE_BLOCK) == b"ocsfmap chfront checksum fixture\n" * 3
    block = CRATE_BLOCK[framing.CHECKSUM_SIZE:]
    assert framing.checksum(block) == CRATE_BLOCK[:framing.CHECKSUM_SIZE]


def test_framing_rejects_corruption():
    packed = bytearray(framing.compress(b"hello world" * 100))
    packed[-1] ^= 0xFF
    with pytest.raises(ChError) as err:
        framing.decompress(bytes(packed))
    assert err.value.name == "CHECKSUM_DOESNT_MATCH" and err.value.code == 40
    with pytest.raises(ChError) as err:
        framing.decompress(bytes(packed[:20]))
    assert err.value.name == "CANNOT_DECOMPRESS"


def test_framing_rejects_unknown_codec():
    block = struct.pack("<BII", 0x90, 9 + 3, 3) + b"abc"
    with pytest.raises(ChError) as err:
        framing.decompress(framing.checksum(block) + block)
    assert err.value.name == "UNKNOWN_CODEC"


def test_engine_error_text_is_normalised():
    raw = ("Code: 115. DB::Exception: Code: 115. DB::Exception: Unknown setting 'x'. "
           "(UNKNOWN_SETTING) (version 26.9.2.1). (UNKNOWN_SETTING)")
    err = ChError.from_engine(raw)
    assert (err.code, err.name, err.status) == (115, "UNKNOWN_SETTING", 404)
    assert err.text().startswith("Code: 115. DB::Exception: Unknown setting 'x'. (UNKNOWN_SETTING) (version ")
    assert err.text().count("Code:") == 1 and err.text().endswith(")\n")


@pytest.mark.parametrize("text,expected", [
    ("INSERT INTO t(a) FORMAT RowBinary\n\x00FORMAT", ("INSERT INTO t(a)", "RowBinary", 34)),
    ("insert into t format CSV 1,2", ("insert into t", "CSV", 25)),
    ("INSERT INTO t FORMAT TSV  \n\n1", ("INSERT INTO t", "TSV", 27)),
    ("INSERT INTO `format` (s) VALUES ('FORMAT x')", None),
    ("SELECT 1 FORMAT JSON", None),
])
def test_split_insert(text, expected):
    assert sqltext.split_insert(text) == expected


def test_output_format_and_readonly():
    assert sqltext.output_format("SELECT format('{}', 1) FORMAT JSONEachRow;") == "JSONEachRow"
    assert sqltext.output_format("SELECT format('{}', 1)") is None
    assert sqltext.is_read_only(" /* c */ -- x\n select 1")
    assert not sqltext.is_read_only("DROP TABLE t")


def test_multipart_and_accept_encoding():
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\nSELECT {n:UInt8}\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"param_n\"\r\n\r\n7\r\n--XyZ--\r\n")
    assert httpcodec.multipart_fields(body, "multipart/form-data; boundary=XyZ") == {
        "query": b"SELECT {n:UInt8}", "param_n": b"7"}
    assert httpcodec.pick_encoding("gzip;q=0, lz4") == "lz4"
    assert httpcodec.pick_encoding("br, zstd") is None


# --- server -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = serve("127.0.0.1", 0, str(tmp_path_factory.mktemp("chdb")))
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()
    srv.engine.close()


def request(port, method="POST", params=None, body=b"", headers=None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = "/" + ("?" + urlencode(params) if params else "")
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    if own:
        conn.close()
    return resp, data


def sql(port, text, **params):
    resp, data = request(port, params=params, body=text.encode())
    assert resp.status == 200, data
    return data


def test_ping_and_root(server):
    assert request(server, "GET", body=None)[1] == b"Ok.\n"
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    conn.request("GET", "/ping")
    assert conn.getresponse().read() == b"Ok.\n"
    conn.request("GET", "/nowhere")
    resp = conn.getresponse()
    assert resp.status == 404 and b"There is no handle" in resp.read()


def test_select_formats_and_keep_alive(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    resp, data = request(server, body=b"SELECT 1, 'a'", conn=conn)
    assert data == b"1\ta\n" and resp.getheader("Content-Type").startswith("text/tab-separated-values")
    resp, data = request(server, params={"default_format": "JSONEachRow"}, body=b"SELECT 2 AS n", conn=conn)
    assert json.loads(data) == {"n": 2}
    resp, data = request(server, "GET", params={"query": "SELECT 3 AS n FORMAT JSON"}, body=None, conn=conn)
    assert json.loads(data)["data"] == [{"n": 3}] and resp.getheader("X-ClickHouse-Format") == "JSON"
    assert json.loads(resp.getheader("X-ClickHouse-Summary"))["read_rows"] == "1"


def test_errors_look_like_clickhouse(server):
    resp, data = request(server, body=b"SELECT * FROM no_such_table_x")
    assert resp.status == 404
    assert resp.getheader("X-ClickHouse-Exception-Code") == "60"
    text = data.decode()
    assert text.startswith("Code: 60. DB::Exception: ") and "(UNKNOWN_TABLE) (version " in text
    resp, data = request(server, body=b"SELEC 1")
    assert resp.status == 400 and resp.getheader("X-ClickHouse-Exception-Code") == "62"
    resp, data = request(server, body=b"")
    assert resp.status == 400 and b"Empty query" in data
    resp, data = request(server, "GET", params={"query": "CREATE TABLE x (a UInt8) ENGINE=Memory"}, body=None)
    assert resp.getheader("X-ClickHouse-Exception-Code") == "164"


def test_settings_apply_to_one_request_only(server):
    assert sql(server, "SELECT getSetting('max_threads')", max_threads="3") == b"3\n"
    assert sql(server, "SELECT getSetting('max_threads')") != b"3\n"
    resp, data = request(server, params={"no_such_setting_q": "1"}, body=b"SELECT 1")
    assert resp.status == 404 and resp.getheader("X-ClickHouse-Exception-Code") == "115"
    # a SET statement has no lasting effect without a session
    sql(server, "SET max_threads = 7")
    assert sql(server, "SELECT getSetting('max_threads')") != b"7\n"


def test_database_param_and_query_params(server):
    db = "d_" + uuid.uuid4().hex[:8]
    sql(server, f"CREATE DATABASE {db}")
    sql(server, "CREATE TABLE kv (k String, v UInt32) ENGINE = MergeTree ORDER BY k", database=db)
    sql(server, "INSERT INTO kv VALUES ('a', 1), ('b', 2)", database=db)
    assert sql(server, "SELECT sum(v) FROM kv", database=db) == b"3\n"
    assert sql(server, "SELECT currentDatabase()") == b"default\n"
    boundary = "b0und"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n"
            f"SELECT v FROM kv WHERE k = {{key:String}}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"param_key\"\r\n\r\nb\r\n"
            f"--{boundary}--\r\n").encode()
    resp, data = request(server, params={"database": db}, body=body,
                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert data == b"2\n"
    assert sql(server, "SELECT {x:UInt8} + 1", param_x="4") == b"5\n"
    resp, data = request(server, params={"database": "no_such_db_q"}, body=b"SELECT 1")
    assert resp.getheader("X-ClickHouse-Exception-Code") == "81"


def _chunked(parts):
    for part in parts:
        yield part


def test_compressed_rowbinary_insert_and_compressed_reads(server):
    db = "d_" + uuid.uuid4().hex[:8]
    sql(server, f"CREATE DATABASE {db}")
    sql(server, "CREATE TABLE t (id UInt64, name String) ENGINE = MergeTree ORDER BY id", database=db)
    rows = b"".join(struct.pack("<Q", i) + bytes([5]) + b"n%04d" % (i % 10_000) for i in range(10_000))
    packed = framing.compress(rows)
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    path = "/?" + urlencode({"database": db, "decompress": "1",
                             "query": "INSERT INTO t(id, name) FORMAT RowBinary"})
    conn.request("POST", path, body=_chunked([packed[:1000], packed[1000:]]), encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 200, resp.read()
    resp.read()
    assert json.loads(resp.getheader("X-ClickHouse-Summary"))["written_rows"] == "10000"
    assert sql(server, "SELECT count(), sum(id), uniqExact(name) FROM t", database=db) == b"10000\t49995000\t10000\n"

    # compress=1: ClickHouse framing on the response
    resp, data = request(server, params={"database": db, "compress": "1",
                                         "default_format": "RowBinaryWithNamesAndTypes"},
                         body=b"SELECT id FROM t ORDER BY id LIMIT 3")
    raw = framing.decompress(data)
    assert raw.startswith(b"\x01\x02id\x06UInt64")
    assert raw.endswith(struct.pack("<QQQ", 0, 1, 2))
    # Accept-Encoding: lz4 -> an LZ4 frame, as the clickhouse crate asks for
    resp, data = request(server, params={"database": db}, body=b"SELECT count() FROM t",
                         headers={"Accept-Encoding": "lz4"})
    assert resp.getheader("Content-Encoding") == "lz4"
    assert lz4.frame.decompress(data) == b"10000\n"


def test_corrupt_compressed_insert_is_refused(server):
    packed = bytearray(framing.compress(b"1\n"))
    packed[0] ^= 1
    resp, data = request(server, params={"decompress": "1", "query": "INSERT INTO system.one FORMAT TSV"},
                         body=bytes(packed))
    assert resp.getheader("X-ClickHouse-Exception-Code") == "40"
    assert b"Checksum doesn't match" in data


def test_bad_rowbinary_is_an_error_not_a_hang(server):
    db = "d_" + uuid.uuid4().hex[:8]
    sql(server, f"CREATE DATABASE {db}")
    sql(server, "CREATE TABLE t (id UInt64) ENGINE = MergeTree ORDER BY id", database=db)
    resp, data = request(server, params={"database": db, "query": "INSERT INTO t FORMAT RowBinary"},
                         body=b"\x01\x02\x03")  # 3 bytes of an 8-byte UInt64
    assert resp.status != 200 and data.startswith(b"Code: ")
    assert sql(server, "SELECT count() FROM t", database=db) == b"0\n"
