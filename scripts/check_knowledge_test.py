#!/usr/bin/env python3
"""Tests of check-knowledge.py's placeholder scan (knowledge/README.md, "Placeholders only"):
every real-looking secret, public address and foreign e-mail below is found, and none of the
look-alikes (versions, OIDs, documentation ranges, masked values, field names) is.
Run by .ci/run: python3 scripts/check_knowledge_test.py"""
import importlib.util
import pathlib
import sys

here = pathlib.Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("ck", here / "check-knowledge.py")
ck = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ck)


def kinds(t):
    return sorted({k for k, _ in ck.scan_placeholders(t)})


pos = {
 "ipv4 8.8.8.8 src": 'src=8.8.8.8 dst=10.0.0.1',
 "ipv4 end of sentence": 'connection from 1.1.1.1.',
 "ipv4 json": '{"ip":"52.94.236.248"}',
 "ipv4 url": 'GET http://93.184.216.34/x',
 "ipv4 after word slash (ASA)": 'outside/93.184.216.34(443)',
 "ipv4 mapped": 'Client "::ffff:8.8.4.4"',
 "ipv4 version-ish but not labelled": '"src":"2.4.58.1"',
 "ipv4 ipVersion then comma": '"ipVersion":4,"src":"8.8.8.8"',
 "ipv6 public": 'addr=2606:4700:4700::1111',
 "ipv6 bracket": 'https://[2a00:1450:4001:82b::200e]:443/',
 "email": 'from=<bob@gmail.com>',
 "email upper": 'USER@CORP.CONTOSO.COM',
 "email vendor noreply": 'sender":"noreply@microsoft.com"',
 "akid": '"accessKeyId":"AKIAZ3QWERTYUIOP1234"',
 "asia": 'ASIAZ3QWERTYUIOP1234',
 "aws secret labelled": 'aws_secret_access_key = Zk3JalrXUtnFEMIK7MDENGbPxRfiCY9q8w7e6r5T',
 "aws secret standalone": 'key Zk3JalrXUtnFEMI/K7MDENG/bPxRfiCY9q8w7e6r here',
 "pk": '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7V1ZbW2y3x4w5v6u7t8s9r0q1p2o3n4m5l6k7j8i9h0g\n-----END RSA PRIVATE KEY-----',
 "pk escaped": '"key":"-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\\n-----END OPENSSH PRIVATE KEY-----"',
 "jwt": 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
 "ghp": 'token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789',
 "xoxb": 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
 "aiza": 'key=AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q',
 "slack webhook": 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
 "password= kv": 'user=admin password=hunter2 action=login',
 "password json": '{"user":"a","password":"S3cr3t!"}',
 "password escaped json": '{\\"password\\":\\"S3cr3t!\\"}',
 "url query token": 'GET /api?access_token=abc123def456&x=1',
 "url userinfo": 'ftp://admin:letmein@ftp.example.com/',
 "client_secret": 'client_secret=q8w7e6r5t4y3',
 "x-api-key header": 'x-api-key: 9f8e7d6c5b4a',
 "xml password": "<Data Name='Password'>Winter2024!</Data>",
 "bearer": '"Authorization":"Bearer abcdef0123456789abcdef"',
 "pass query": 'login?user=bob&pass=hunter2',
}

neg = {
 "oid": 'OID 1.2.840.113549.1.1.11 and 1.2.840.113549',
 "win build": 'Windows 10.0.19041.1 build',
 "chrome ua": '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"',
 "w3c ua": '2024-03-04 12:00:00 10.0.0.1 Mozilla/5.0+(Windows+NT+10.0)+Chrome/120.0.0.0+Safari/537.36 200',
 "appversion": '"AppVersion":"2.4.58.0"',
 "oid label": "<Data Name='AttributeSyntaxOID'>2.5.5.9</Data>",
 "doc ips": '192.0.2.1 198.51.100.2 203.0.113.3 10.1.2.3 172.16.0.1 192.168.1.1 100.64.0.1 127.0.0.1 169.254.1.1 0.0.0.0 255.255.255.255 255.255.255.0 224.0.0.251 198.18.0.1',
 "doc ipv6": '2001:db8::1 fe80::1%eth0 fd00::5 ff02::1 ::1 :: ::ffff:10.1.2.3 [2001:db8:1::2]:443',
 "mac": '00:1a:2b:3c:4d:5e and serial 0A:1B:2C:3D:4E:5F:60:71',
 "times": '2024-03-04 10:15:22 Mar  4 03:12:09',
 "field names": '"password_changed":true,"passwordResetRequired":false,"PasswordLastSet":"2021","secretId":"prod/db/password","token_id":"abc","tokenHash":"x","refresh_token_type":"Refresh"',
 "win text": "An attempt was made to reset an account's password. An account's password was reset",
 "masked": 'password=******** token=<redacted> "secret":"[REDACTED]" pwd=/home/x PWD=/home/deploy "password":"<hidden>" password: YES',
 "json null": '"password":null,"token":"","apiKey":"EXAMPLE-KEY"',
 "audit token": '"audit_token":{"pid":1}',
 "example emails": 'a@example.com b@corp.example.com c@example.net d@x.example e@y.test f@z.invalid g@h.localhost i@mail.example.org',
 "systemd": 'postgresql@15-main.service getty@tty1.service',
 "ssh alg": 'aes256-gcm@openssh.com curve25519-sha256@libssh.org',
 "sdid": '[junos@2636.1.1.1.2.129 source-address="10.0.0.1"]',
 "akid example": 'AKIAIOSFODNN7EXAMPLE ASIAEXAMPLEEXAMPLE',
 "aws secret example": 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
 "sha1": 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d',
 "path": '/System/Library/CoreServices/loginwindow2 x',
 "kube-bench": '"pass":11,"fail":1',
 "pam": 'pam_unix(passwd:chauthtok): password changed for alice',
 "asa prose": 'reason = Invalid password : local database : user = admin',
 "version with v": 'v1.2.3.4',
 "win msg token": "<Data Name='ElevatedToken'>%%1843</Data>",
 "npm": 'lodash@4.17.21',
}

bad = 0
for name, t in pos.items():
    if not kinds(t):
        print("MISSED:", name, t)
        bad += 1
for name, t in neg.items():
    found = list(ck.scan_placeholders(t))
    if found:
        print("FALSE POSITIVE:", name, found)
        bad += 1
print(f"placeholder scan: {len(pos)} findings expected, {len(neg)} look-alikes, {bad} problems")

# Per-event identification (issue #20): a product whose lines all carry one field list is
# reported; per-event lists, short products and empty lists are not.
same = ["EventID", "Image", "ProcessGuid"]
lines = [("Copied", same)] * 3 + [("PerEvent", same), ("PerEvent", ["EventID", "SourceImage"]),
         ("PerEvent", same), ("Short", same), ("Short", same), ("Empty", []), ("Empty", []),
         ("Empty", []), (None, same), ("Bad", "fields")]
got = ck.shared_field_lists(lines)
if got != [("Copied", 3)]:
    print("SHARED FIELD LISTS:", got)
    bad += 1

# Pack rules read from the schema (issue #20): activity rules, extension classes by platform,
# the schema's own redirections, API routes and field names as values, numeric families against a
# catalogue.
import os  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402

schema_path = os.environ.get("OCSF_SCHEMA", str(ck.DEFAULT_SCHEMA))
classes = ck.load_schema(schema_path)
ext, redirects = ck.load_schema_rules(schema_path)
if not any(frm == 1010 and "mount" in evs and to == 1001 for frm, evs, to, _ in redirects):
    print("REDIRECTS: Peripheral Activity's Mount note not read:", redirects)
    bad += 1


def line(**kw):
    base = {"product": "P", "vendor": "V", "log_type": "L", "event": "E", "title": "T",
            "identify": {"fields": ["a"], "values": [], "patterns": []}, "class_uid": 4001,
            "activity_id": 6, "notes": ""}
    base.update(kw)
    return base


def errors(obj):
    c = ck.Checker(classes, ext, redirects)
    c.check_pack_line("t", obj)
    return c.errors


cases = {
    "null activity, no rule": (line(activity_id=None), True),
    "null activity, field rule": (line(activity_id=None, activity_rule={"field": "action", "values": {"allow": 6, "deny": 5}}), False),
    "null activity, verb rule": (line(activity_id=None, activity_rule={"verb": "eventName"}), False),
    "rule activity outside the enum": (line(activity_id=None, activity_rule={"field": "action", "values": {"allow": 4242}}), True),
    "rule default outside the enum": (line(activity_id=None, activity_rule={"field": "a", "values": {"x": 6}, "default": 4242}), True),
    "rule with both forms": (line(activity_id=None, activity_rule={"field": "a", "values": {"x": 6}, "verb": "b"}), True),
    "rule with a fixed activity": (line(activity_rule={"verb": "eventName"}), True),
    "windows class, no platform": (line(class_uid=201004, activity_id=1), True),
    "windows class on linux": (line(class_uid=201004, activity_id=1, platform="linux"), True),
    "windows class on windows": (line(class_uid=201004, activity_id=1, platform="windows"), False),
    "mount as peripheral activity": (line(class_uid=1010, activity_id=1, event="UsbDriveMounted", title="USB drive mounted"), True),
    "eject as peripheral activity": (line(class_uid=1010, activity_id=5, event="eject", title="Media ejected"), False),
    "mount as file system activity": (line(class_uid=1001, activity_id=12, event="mount", title="Volume mounted"), False),
    "API route as a value": (line(identify={"fields": [], "values": ["GET /api/v1/users"], "patterns": []}), True),
    "provenance without version": (line(provenance={"document": "d"}), True),
    "field name as a value": (line(identify={"fields": ["activityType", "primaryDescription"], "values": ["activityType"], "patterns": []}), True),
    "last path segment as a value": (line(identify={"fields": ["threatInfo.mitigationStatus"], "values": ["mitigationStatus"], "patterns": []}), True),
    "field name as a value, other case": (line(identify={"fields": ["acc", "Act"], "values": ["Acc"], "patterns": []}), True),
    "values a field takes": (line(identify={"fields": ["activityType"], "values": ["2004", "2009"], "patterns": []}), False),
    "event's own name that is also a key": (line(event="ConsoleLogin", identify={"fields": ["eventName", "responseElements.ConsoleLogin"], "values": ["ConsoleLogin"], "patterns": []}), False),
}
for name, (obj, want) in cases.items():
    got = errors(obj)
    if bool(got) != want:
        print("PACK RULE:", name, "expected", "an error" if want else "none", "got", got)
        bad += 1

with tempfile.TemporaryDirectory() as d:
    root = ck.Path(d)
    (root / "catalogues").mkdir()
    (root / "catalogues" / "fam.json").write_text(json.dumps({
        "family": "fam", "vendor": "V", "document": "D", "version": "1", "products": ["P"],
        "ids": {"100": {"name": "login", "security": True}, "101": {"name": "x", "security": True},
                "102": {"name": "noise", "security": False}}}))
    c = ck.Checker(classes, ext, redirects)
    cats = ck.load_catalogues(c, root)
    pack = [("a", line(event="100", identify={"fields": ["a"], "values": ["100"], "patterns": []})),
            ("b", line(event="999", identify={"fields": ["a"], "values": [], "patterns": []})),
            ("c", line(product="Other", event="999"))]
    gaps = ck.check_numeric_families(c, pack, cats)
    if [e.split(":")[0] for e in c.errors] != ["b"] or gaps != {"fam": (1, 2)}:
        print("NUMERIC FAMILIES:", c.errors, gaps)
        bad += 1
print(f"pack rules: {len(cases)} cases, numeric families, redirections; {bad} problems in all")
sys.exit(1 if bad else 0)
