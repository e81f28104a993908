"""chfront: a ClickHouse HTTP interface in front of the chDB engine, for tests
and local development (the part of the protocol the `clickhouse` crate uses).

Run: python server.py --host 127.0.0.1 --port 8123 --data DIR
"""

import argparse
import json
import logging
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import errors
import framing
import httpcodec
from engine import Engine, Request
from errors import ChError

log = logging.getLogger("chfront")

# URL parameters the HTTP layer consumes itself; all others (except param_*)
# are settings for the query.
_HTTP_PARAMS = {
    "query", "database", "default_format", "compress", "decompress", "user",
    "password", "quota_key", "query_id", "session_id", "session_timeout",
    "session_check", "close_session", "stacktrace", "role", "buffer_size",
    "wait_end_of_query", "client_protocol_version", "enable_http_compression",
    "http_zlib_compression_level", "http_native_compression_disable_checksumming_on_decompress",
    "readonly",
}

_HEALTH_PATHS = {"/ping", "/replicas_status"}


def content_type(fmt):
    f = (fmt or "").lower()
    if f.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if f.startswith("csv"):
        header = "present" if "names" in f else "absent"
        return f"text/csv; charset=UTF-8; header={header}"
    if f in ("jsoneachrow", "jsonlines", "ndjson", "jsoncompacteachrow"):
        return "application/x-ndjson; charset=UTF-8"
    if f.startswith("json"):
        return "application/json; charset=UTF-8"
    if f.startswith(("rowbinary", "native", "parquet", "arrow", "orc", "avro", "protobuf")):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


def _truthy(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chfront"
    engine = None  # set by serve()

    def log_message(self, fmt, *args):  # route access logs through logging
        log.debug("%s %s", self.address_string(), fmt % args)

    def do_GET(self):
        self._handle(readonly=True)

    def do_POST(self):
        self._handle(readonly=False)

    def do_HEAD(self):
        url = urlsplit(self.path)
        if url.path in _HEALTH_PATHS or (url.path == "/" and not url.query):
            self._send(200, b"", {"Content-Type": "text/html; charset=UTF-8"}, head_len=4)
        else:
            self._send(404, b"", {})

    def _handle(self, readonly):
        url = urlsplit(self.path)
        params = parse_qsl(url.query, keep_blank_values=True)
        query_id = dict(params).get("query_id") or str(uuid.uuid4())
        encoding = None
        try:
            body = self._read_body()
            if url.path in _HEALTH_PATHS or (url.path == "/" and not params and not body and readonly):
                self._send(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
                return
            if url.path != "/":
                self._send(404, f"There is no handle {url.path}\n\nUse / or /ping for health checks.\n".encode(),
                           {"Content-Type": "text/plain; charset=UTF-8"})
                return
            args = dict(params)
            if _truthy(args.get("enable_http_compression", "1")):
                encoding = httpcodec.pick_encoding(self.headers.get("Accept-Encoding"))
            req, compress = self._build_request(params, body, readonly)
            result = self.engine.execute(req)
            payload = result.body
            if compress:
                payload = framing.compress(payload)
            headers = {
                "Content-Type": content_type(result.format),
                "X-ClickHouse-Format": result.format,
                "X-ClickHouse-Summary": json.dumps(result.summary, separators=(",", ":")),
            }
            self._send(200, payload, headers, query_id=query_id, encoding=encoding)
        except ChError as err:
            self._send_error(err, query_id, encoding)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as err:  # never let a handler thread die silently
            log.exception("internal error")
            self._send_error(ChError.of("LOGICAL_ERROR", f"chfront internal error: {err!r}"), query_id, encoding)

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = httpcodec.read_chunked(self.rfile)
        else:
            length = self.headers.get("Content-Length")
            if length is None:
                body = b""
            else:
                try:
                    n = int(length)
                except ValueError:
                    self.close_connection = True
                    raise ChError.of("BAD_ARGUMENTS", f"Bad Content-Length: {length!r}") from None
                if n < 0 or n > httpcodec.MAX_BODY:
                    self.close_connection = True
                    raise ChError.of("QUERY_IS_TOO_LARGE", "Request body too large")
                body = self.rfile.read(n)
                if len(body) != n:
                    self.close_connection = True
                    raise ChError.of("CORRUPTED_DATA", "Unexpected end of request body")
        return httpcodec.decode_request(body, self.headers.get("Content-Encoding"))

    def _build_request(self, params, body, readonly):
        args = {}
        settings = {}
        qparams = {}
        for name, value in params:
            if name.startswith("param_"):
                qparams[name[len("param_"):]] = value
            elif name in _HTTP_PARAMS:
                args[name] = value
            else:
                settings[name] = value
        if _truthy(args.get("readonly", "0")):
            readonly = True
        if _truthy(args.get("decompress", "0")):
            verify = not _truthy(args.get("http_native_compression_disable_checksumming_on_decompress", "0"))
            body = framing.decompress(body, verify=verify)
        query = args.get("query", "").encode("utf-8")
        ctype = self.headers.get("Content-Type", "")
        if ctype.lower().startswith("multipart/form-data"):
            fields = httpcodec.multipart_fields(body, ctype)
            body = fields.pop("query", b"")
            for name, value in fields.items():
                if not name.startswith("param_"):
                    raise ChError.of("NOT_IMPLEMENTED", f"external data ({name!r}) is not supported by chfront")
                qparams[name[len("param_"):]] = value.decode("utf-8", "replace")
        # As in ClickHouse: the URL's query, then the body (data for INSERTs).
        sql = query + b"\n" + body if query and body else query or body
        database = (args.get("database") or self.headers.get("X-ClickHouse-Database") or "default")
        default_format = (args.get("default_format") or self.headers.get("X-ClickHouse-Format")
                          or "TabSeparated")
        req = Request(sql=sql, database=database, settings=settings, params=qparams,
                      default_format=default_format, readonly=readonly)
        return req, _truthy(args.get("compress", "0"))

    def _send_error(self, err, query_id, encoding):
        log.info("query %s failed: %s", query_id, err.text().strip())
        self._send(err.status, err.text().encode(), {
            "Content-Type": "text/plain; charset=UTF-8",
            "X-ClickHouse-Exception-Code": str(err.code),
        }, query_id=query_id, encoding=encoding)

    def _send(self, status, payload, headers, query_id=None, encoding=None, head_len=None):
        if encoding and payload:
            payload = httpcodec.encode_response(payload, encoding)
            headers["Content-Encoding"] = encoding
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if query_id:
                self.send_header("X-ClickHouse-Query-Id", query_id)
            self.send_header("X-ClickHouse-Server-Display-Name", "chfront")
            self.send_header("X-ClickHouse-Timezone", self.engine.timezone)
            self.send_header("Content-Length", str(head_len if head_len is not None else len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            else:
                self.send_header("Keep-Alive", "timeout=10")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (ConnectionError, TimeoutError):
            self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # parallel test binaries open many connections


def serve(host, port, data_dir):
    """Build the server (port 0 picks a free port); returns it unstarted."""
    engine = Engine(data_dir)
    errors.VERSION = engine.version
    handler = type("BoundHandler", (Handler,), {"engine": engine})
    server = Server((host, port), handler)
    server.engine = engine
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--data", required=True, help="directory for chDB's data")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    server = serve(args.host, args.port, args.data)
    host, port = server.server_address[:2]
    log.info("chfront (chDB %s) listening on http://%s:%s data=%s", server.engine.version, host, port, args.data)

    def stop(signum, _frame):
        log.info("signal %s: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        server.engine.close()
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
