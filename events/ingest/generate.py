#!/usr/bin/env python3
"""Regenerates the sample ingest events in this folder (deterministic: gzip mtime is 0).

Bodies (bodies/*) are what log shippers send; the *.json files wrap them in the three
Lambda HTTP payload formats. The API key in them is a local test value, not a secret.
Run: python3 events/ingest/generate.py
"""
import base64
import gzip
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
BODIES = HERE / "bodies"
KEY = "local-dev-key-0123456789"

OKTA = [
    {"uuid": "9f1b6e2a-1c1d-11ef-9c7b-0b6f1a2b3c4d", "published": "2024-05-14T10:01:02.123Z",
     "eventType": "user.session.start", "severity": "INFO", "displayMessage": "User login to Okta",
     "actor": {"id": "00u1abcd", "type": "User", "alternateId": "alice@example.com", "displayName": "Alice"},
     "client": {"ipAddress": "203.0.113.7", "userAgent": {"rawUserAgent": "Mozilla/5.0"}},
     "outcome": {"result": "SUCCESS"}},
    {"uuid": "a02c7f3b-1c1d-11ef-9c7b-0b6f1a2b3c4d", "published": "2024-05-14T10:01:09.456Z",
     "eventType": "user.authentication.auth_via_mfa", "severity": "WARN", "displayMessage": "Authentication of user via MFA",
     "actor": {"id": "00u9wxyz", "type": "User", "alternateId": "bob@example.com", "displayName": "Bob"},
     "client": {"ipAddress": "198.51.100.23"}, "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"}},
]

CLOUDTRAIL = [
    {"eventVersion": "1.08", "eventTime": "2024-05-14T10:02:00Z", "eventSource": "iam.amazonaws.com",
     "eventName": "CreateUser", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.10",
     "userIdentity": {"type": "IAMUser", "userName": "admin"}, "requestParameters": {"userName": "svc-backup"}},
    {"eventVersion": "1.08", "eventTime": "2024-05-14T10:02:05Z", "eventSource": "s3.amazonaws.com",
     "eventName": "GetObject", "awsRegion": "eu-west-1", "sourceIPAddress": "192.0.2.11",
     "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/reader/x"},
     "requestParameters": {"bucketName": "logs", "key": "a/b.gz"}},
    {"eventVersion": "1.08", "eventTime": "2024-05-14T10:02:09Z", "eventSource": "signin.amazonaws.com",
     "eventName": "ConsoleLogin", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.50",
     "userIdentity": {"type": "Root"}, "responseElements": {"ConsoleLogin": "Failure"}},
]

SYSLOG = [
    "<38>May 14 10:03:01 bastion sshd[4242]: Failed password for invalid user admin from 198.51.100.4 port 52144 ssh2",
    "<86>May 14 10:03:02 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/systemctl restart nginx",
    "<134>1 2024-05-14T10:03:03.001Z fw01 kernel - - - DROP IN=eth0 OUT= SRC=203.0.113.9 DST=10.0.0.5 PROTO=TCP SPT=51515 DPT=3389",
    '10.0.0.7 - - [14/May/2024:10:03:04 +0000] "GET /admin HTTP/1.1" 403 199 "-" "curl/8.5.0"',
    "CEF:0|Palo Alto Networks|PAN-OS|10.2|THREAT|url|3|src=10.0.0.8 dst=93.184.216.34 request=http://example.com/x.exe",
]


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def ndjson(records) -> bytes:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode()


def bodies() -> dict:
    vector = [{"file": "/var/log/auth.log", "host": "bastion", "message": line,
               "source_type": "file", "timestamp": f"2024-05-14T10:03:0{i}.000000Z"}
              for i, line in enumerate(SYSLOG[:2])]
    fluent = [{"date": 1715680981.123456 + i, "log": line, "stream": "stdout",
               "kubernetes": {"namespace_name": "web", "pod_name": "nginx-7d9f"}}
              for i, line in enumerate(SYSLOG[3:4] * 3)]
    return {
        "okta.json": json.dumps(OKTA, indent=2).encode() + b"\n",
        "cloudtrail.ndjson": ndjson(CLOUDTRAIL),
        "mixed-invalid.ndjson": ndjson(CLOUDTRAIL[:1]) + b"{not json}\n" + ndjson(CLOUDTRAIL[1:2])
        + b"[1,2,3]\n" + ndjson(CLOUDTRAIL[2:]),
        "syslog.txt": ("\n".join(SYSLOG) + "\n").encode(),
        # Vector http sink: codec json → JSON array; framing newline_delimited → NDJSON; compression gzip.
        "vector-json.json": json.dumps(vector, separators=(",", ":")).encode(),
        "vector-ndjson.ndjson.gz": gz(ndjson(vector)),
        # Fluent Bit http output: Format json → array with a date key; json_lines → one per line.
        # Both are sent as application/json.
        "fluentbit-json.json": json.dumps(fluent, separators=(",", ":")).encode(),
        "fluentbit-json-lines.json": ndjson(fluent),
    }


def v1(name, body: bytes, content_type, encoding=None, query=None, b64=False):
    headers = {"Content-Type": content_type, "x-api-key": KEY, "Host": "abc123.execute-api.us-east-1.amazonaws.com"}
    if encoding:
        headers["Content-Encoding"] = encoding
    return {
        "resource": "/v1/logs", "path": "/v1/logs", "httpMethod": "POST",
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": "/v1/logs", "httpMethod": "POST", "path": "/prod/v1/logs",
                           "stage": "prod", "requestId": f"v1-{name}", "accountId": "111122223333",
                           "apiId": "abc123", "identity": {"sourceIp": "198.51.100.1"}},
        "body": base64.b64encode(body).decode() if b64 else body.decode(),
        "isBase64Encoded": b64,
    }


def v2(name, body: bytes, content_type, encoding=None, query="", b64=False, url=False, headers=None):
    hdrs = {"content-type": content_type, "authorization": f"Bearer {KEY}"}
    if encoding:
        hdrs["content-encoding"] = encoding
    hdrs.update(headers or {})
    domain = "abcdefg.lambda-url.us-east-1.on.aws" if url else "abc123.execute-api.us-east-1.amazonaws.com"
    ev = {
        "version": "2.0", "routeKey": "$default" if url else "POST /v1/logs", "rawPath": "/v1/logs",
        "rawQueryString": query, "headers": hdrs,
        "requestContext": {"accountId": "111122223333" if not url else "anonymous", "apiId": "abcdefg" if url else "abc123",
                           "domainName": domain, "domainPrefix": domain.split(".")[0],
                           "http": {"method": "POST", "path": "/v1/logs", "protocol": "HTTP/1.1",
                                    "sourceIp": "198.51.100.1", "userAgent": "vector/0.39.0"},
                           "requestId": f"v2-{name}", "routeKey": "$default" if url else "POST /v1/logs",
                           "stage": "$default", "time": "14/May/2024:10:04:00 +0000", "timeEpoch": 1715681040000},
        "body": base64.b64encode(body).decode() if b64 else body.decode(),
        "isBase64Encoded": b64,
    }
    if query:
        ev["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&"))
    return ev


def zeros_bomb(total: int) -> bytes:
    """`total` bytes of zeros as one gzip member, compressed without ever holding them."""
    import zlib
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    out = [c.compress(chunk) for _ in range(total >> 20)]
    out.append(c.flush())
    return b"".join(out)


def main():
    BODIES.mkdir(exist_ok=True)
    b = bodies()
    for name, data in b.items():
        (BODIES / name).write_bytes(data)
    events = {
        "apigw-v1-json.json": v1("json", b["okta.json"], "application/json", query={"source": "okta"}),
        "apigw-v1-text-gzip.json": v1("text-gzip", gz(b["syslog.txt"]), "text/plain", "gzip", b64=True),
        "apigw-v2-ndjson.json": v2("ndjson", b["cloudtrail.ndjson"], "application/x-ndjson", query="source=aws%3Acloudtrail"),
        "apigw-v2-ndjson-gzip.json": v2("ndjson-gzip", gz(b["cloudtrail.ndjson"]), "application/x-ndjson", "gzip", b64=True),
        "apigw-v2-mixed-invalid.json": v2("mixed", b["mixed-invalid.ndjson"], "application/x-ndjson"),
        "function-url-text.json": v2("text", b["syslog.txt"], "text/plain; charset=utf-8", url=True,
                                     headers={"x-ocsfmap-source": "syslog"}),
        "vector-json.json": v2("vector-json", b["vector-json.json"], "application/json", query="source=vector"),
        "vector-ndjson-gzip.json": v2("vector-ndjson-gzip", b["vector-ndjson.ndjson.gz"], "application/x-ndjson", "gzip", b64=True),
        "fluentbit-json.json": v2("fluentbit-json", b["fluentbit-json.json"], "application/json", url=True),
        "fluentbit-json-lines-gzip.json": v2("fluentbit-json-lines", gz(b["fluentbit-json-lines.json"]), "application/json", "gzip", b64=True, url=True),
        # Hostile: 128 MiB of zeros in ~130 KB (twice the default MAX_DECOMPRESSED_BYTES),
        # and a gzip body cut in half.
        "hostile-gzip-bomb.json": v2("gzip-bomb", zeros_bomb(128 << 20), "application/x-ndjson", "gzip", b64=True),
        "hostile-gzip-truncated.json": v2("gzip-truncated", gz(b["cloudtrail.ndjson"])[:200], "application/x-ndjson", "gzip", b64=True),
    }
    for name, ev in events.items():
        (HERE / name).write_text(json.dumps(ev, indent=2) + "\n")


if __name__ == "__main__":
    main()
