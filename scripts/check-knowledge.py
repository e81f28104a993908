#!/usr/bin/env python3
"""Validate the knowledge pack and example records against the OCSF schema.

Checks every `knowledge/pack/*.jsonl` and `knowledge/examples/*.jsonl` line:
valid JSON object, required keys with the right types, class_uid present in
the schema and not deprecated, activity_id in that class's activity enum.
Also checks that every active class has a minimum number of examples, and the
product identity table `knowledge/products.jsonl`: every pack `product` is in
some row's `pack`, every example `source` in exactly one row's `examples`,
every dev-set `source` in some row's `dev` (when the dev files are present),
ids unique, and no listed name that does not exist.
Every example `raw` is scanned for values that are not documented placeholders
(issue #20; rules in knowledge/README.md, "Placeholders only"): real-looking
secrets (AWS keys, private key blocks, JWTs, GitHub/Slack/Google tokens,
password=/secret=/token= values), public IPv4/IPv6 addresses outside the
documentation and private ranges, and e-mail addresses outside the
documentation domains. Each such value is an error.

Exit status is non-zero when any error is found. Warnings do not fail the run.

Usage: scripts/check-knowledge.py [--schema PATH] [--knowledge DIR]
                                  [--min-examples N] [--dev GLOB ...] [--report]
The schema path defaults to $OCSF_SCHEMA, then
../shared/data/ocsf-schema/ocsf-schema-1.8.0.json next to the repository.
The dev sets default to ../shared/data/dev/*.jsonl and ../shared/data/dev2/*.jsonl
next to the repository; the dev check is skipped when no file matches.
"""

import argparse
import glob
import ipaddress
import json
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = REPO.parent / "shared" / "data" / "ocsf-schema" / "ocsf-schema-1.8.0.json"
DEFAULT_DEV = [str(REPO.parent / "shared" / "data" / d / "*.jsonl") for d in ("dev", "dev2")]

PACK_KEYS = {
    "product": str,
    "vendor": str,
    "log_type": str,
    "event": str,
    "title": str,
    "identify": dict,
    "class_uid": int,
    "notes": str,
}
EXAMPLE_KEYS = {"raw": str, "class_uid": int, "activity_id": int, "source": str}
PRODUCT_KEYS = {"product_id": str, "vendor": str, "name": str, "pack": list, "examples": list, "dev": list}
PRODUCT_OPTIONAL = {"note": str}
PRODUCT_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PRODUCTS_FILE = "products.jsonl"
IDENTIFY_KEYS = ("fields", "values", "patterns")
# provenance.document: the vendor document's title or address; provenance.version: the product
# version (or "cloud service, <month year>") it describes.
PROVENANCE_KEYS = ("document", "version")
OPTIONAL_EMPTY = {"notes"}  # must be present, may be ""
SLUG = re.compile(r"^pack/[a-z0-9][a-z0-9._-]*$")
AREA = re.compile(r"^[a-z0-9][a-z0-9_-]*\.jsonl$")
# --- Placeholder scan of example records (issue #20) ------------------------------------
# Every example `raw` must hold only documented placeholders: no real-looking secrets, no
# public IP addresses, no e-mail addresses outside the documentation domains. The rules are
# documented in knowledge/README.md ("Placeholders only"); each finding is an error.

# A full dotted quad bounded by non-digit, non-dot characters (a trailing "." ending a sentence
# is fine), so version strings and OIDs (10.0.19041.1, 1.2.840.113549.1.1.1) never match.
IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?!\d|\.\d)")
# A run of hex groups and colons (optionally ending in a dotted quad), not glued to a word.
IPV6 = re.compile(r"(?<![\w:.])((?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}))"
                  r"(?![\w:]|\.\d)")
# Colon-separated byte strings (MAC/EUI-64 addresses, certificate serials): every group two hex digits.
HEX_BYTES = re.compile(r"^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+$")
# A dotted quad labelled as a version, OID or build ("AppVersion":"2.4.58.0",
# AttributeSyntaxOID'>2.5.5.9, "#Software: SGOS 7.3.14.1"): the label word, then at most
# 12 characters that do not end the field; or a "v" prefix (v1.2.3.4).
VERSION_LABEL = re.compile(
    r"(?:(?<![A-Za-z])(?i:version|oid|build|firmware|software)|Version|OID|Build|Firmware|Software)"
    r"[^,;{}\[\]\n<=]{0,12}$|(?<![A-Za-z])[vV]$")
# A browser product/version token inside a User-Agent (Chrome/122.0.0.0): "<Product>/" right
# before the quad and "Mozilla/" earlier in the same field (no quote, tab or newline between).
UA_PRODUCT = re.compile(r"[A-Za-z][\w.-]*/$")
UA_FIELD = re.compile(r"Mozilla/\d[^\"\t\n]*$")
# Addresses fine to appear in example data: documentation, private, special.
ALLOWED_NETS = [
    ipaddress.ip_network(n)
    for n in (
        "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # RFC 5737 documentation
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918 private
        "100.64.0.0/10",  # RFC 6598 CGNAT
        "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8",  # loopback, link-local, "this network"
        "224.0.0.0/4", "240.0.0.0/4",  # multicast; reserved, incl. 255.255.255.255 and netmasks
        "198.18.0.0/15",  # RFC 2544 benchmarking
        "2001:db8::/32", "3fff::/20",  # RFC 3849, RFC 9637 documentation
        "fc00::/7", "fe80::/10", "ff00::/8",  # unique local, link-local, multicast
        "::1/128", "::/128",  # loopback, unspecified
    )
]

# E-mail address: local part, "@", dot-separated labels ending in an alphabetic TLD (so
# SD-IDs such as junos@2636.1.1.1.2.129 are not addresses). Matched case-insensitively.
EMAIL = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63})(?![\w-]|\.[A-Za-z0-9])")
EMAIL_DOMAINS = {"example.com", "example.net", "example.org"}  # and their subdomains
EMAIL_TLDS = {"example", "test", "invalid", "localhost"}  # RFC 2606 / RFC 6761 reserved TLDs
# "name@unit.service" is a systemd template unit, not an address.
SYSTEMD_UNITS = {"service", "socket", "timer", "target", "mount", "automount", "path", "slice",
                 "scope", "device", "swap"}
# "name@domain" SSH algorithm and extension names (RFC 4251 section 6), e.g.
# aes256-gcm@openssh.com, curve25519-sha256@libssh.org: lower-case names at these domains.
SSH_NAME_DOMAINS = {"openssh.com", "libssh.org"}
SSH_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")

# AWS access key ids; the documented placeholders end in EXAMPLE (AKIAIOSFODNN7EXAMPLE).
AWS_KEY_ID = re.compile(r"(?<![A-Za-z0-9])((?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])")
# AWS secret access keys: 40 base64 characters. Flagged when the value is mixed case and
# either follows a "secret" label within 40 characters or contains "/" or "+" (not a path).
# The documented placeholder is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY (anything with EXAMPLE).
AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
SECRET_LABEL = re.compile(r"(?i)secret[^\n]{0,40}$")
PRIVATE_KEY = re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----")
KEY_MATERIAL = re.compile(r"[A-Za-z0-9+/=]{32,}")
JWT = re.compile(r"(?<![\w-])(eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*)")
API_TOKENS = [
    ("GitHub token", re.compile(r"(?<![\w])(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("Slack token", re.compile(r"(?<![\w-])(xox[abposr]-[A-Za-z0-9-]{10,})")),
    ("Slack webhook", re.compile(r"(hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9_/-]{20,})")),
    ("Google API key", re.compile(r"(?<![\w-])(AIza[0-9A-Za-z_-]{30,})")),
]
# Generic credentials: a key whose last word is a secret word, then "=" or ":", then a value.
# Keys are split into words at "_", "-", "." and camelCase humps, so password_changed,
# passwordResetRequired, PasswordLastSet, secretId, token_id, tokenHash, TokenElevationType
# are not credentials. PWD (the working directory in sudo/env lines) is not a secret word.
SECRET_WORDS = {"password", "passwd", "passphrase", "pass", "secret", "token", "apikey"}
SECRET_KEY_PAIRS = {"api", "access", "secret", "private", "auth", "signing", "encryption", "master",
                    "client", "subscription"}  # ... followed by "key"
CRED_KEY = r"[A-Za-z][\w.-]*"
CREDENTIAL = re.compile(
    # <Data Name='Password'>value</Data>, <password>value</password>
    r"Name=\\?['\"](?P<k3>" + CRED_KEY + r")\\?['\"]>(?P<v5>[^<]*)<"
    r"|<(?P<k4>" + CRED_KEY + r")>(?P<v6>[^<]*)</(?P=k4)>"
    # "key": "value" / 'key'='value' (JSON, also escaped inside JSON strings)
    r"|(?P<q>\\?[\"'])(?P<k1>" + CRED_KEY + r")(?P=q)\s*[:=]\s*"
    r"(?:(?P<vq>\\?[\"'])(?P<v1>.*?)(?P=vq)|(?P<v2>[^\s\"',;&|}\]<>)]*))"
    # key=value, key: value (key=value logs, URL query strings, headers). A bare ":" needs a
    # space after it and none before, so "passwd:chauthtok" (PAM service:type) and prose such as
    # "reason = Invalid password : local database" are not credentials.
    r"|(?<![\w.\\-])(?P<k2>" + CRED_KEY + r")(?:\s*=\s*|:\s+)"
    r"(?:(?P<vq3>\\?[\"'])(?P<v3>.*?)(?P=vq3)|(?P<v4>[^\s\"',;&|}\]<>)]*))")
URL_USERINFO = re.compile(r"[A-Za-z][\w+.-]*://[^/\s:@\"']+:(?P<v>[^/\s@\"']+)@")
AUTH_HEADER = re.compile(r"(?i)authorization\\?[\"']?\s*[:=]\s*\\?[\"']?(?:bearer|basic|token)\s+"
                         r"(?P<v>[^\s\"'\\]+)")
PLACEHOLDER_WORDS = ("redacted", "hidden", "masked", "removed", "omitted", "placeholder", "example",
                     "changeme", "dummy", "fake", "sample", "notset", "not_set", "filtered",
                     "sanitized", "xxx", "***")
PLACEHOLDER_VALUES = {"null", "none", "nil", "n/a", "na", "true", "false", "yes", "no", "on", "off",
                      "set", "unset", "required", "0", "1"}
PLACEHOLDER_SHAPE = re.compile(
    r"^(?:[*xX\u2022#.?_-]*|<[^>]*>|\[[^\]]*\]|\{[^}]*\}|\$\{[^}]*\}|\$[A-Za-z_]\w*|%[^%]+%|%%\d+"
    r"|\([^)]*\))$")
JSON_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")
CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def key_words(key):
    """Lower-case words of a key name: split at _ - . and camelCase humps."""
    return [w.lower() for part in re.split(r"[_.\-]+", key) for w in CAMEL.findall(part)]


def is_secret_key(key):
    words = key_words(key)
    if not words:
        return False
    if words[-1] in SECRET_WORDS:
        return True
    return len(words) >= 2 and words[-1] == "key" and words[-2] in SECRET_KEY_PAIRS


def is_placeholder_value(value):
    """A credential value that is obviously not a real secret."""
    v = value.strip().strip("\\").strip()
    low = v.lower()
    return (PLACEHOLDER_SHAPE.match(v) is not None or low in PLACEHOLDER_VALUES
            or any(w in low for w in PLACEHOLDER_WORDS))


def ip_allowed(ip):
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return any(ip.version == net.version and ip in net for net in ALLOWED_NETS)


def email_allowed(local, domain):
    d = domain.lower()
    labels = d.split(".")
    if d in EMAIL_DOMAINS or any(d.endswith("." + base) for base in EMAIL_DOMAINS):
        return True
    if labels[-1] in EMAIL_TLDS:
        return True
    if labels[-1] in SYSTEMD_UNITS:
        return True  # postgresql@15-main.service: a systemd unit instance
    if d in SSH_NAME_DOMAINS and SSH_NAME.match(local):
        return True  # aes256-gcm@openssh.com: an SSH algorithm name
    return False


def scan_placeholders(text):
    """Yield (kind, message) for every value in `text` that is not a documented placeholder."""
    seen = set()

    def once(kind, value, msg):
        if (kind, value) not in seen:
            seen.add((kind, value))
            return [(kind, msg)]
        return []

    # IPv6 first, so the dotted quad of ::ffff:a.b.c.d is judged once, as the mapped address.
    v6_spans = []
    for m in IPV6.finditer(text):
        s = m.group(1)
        if HEX_BYTES.match(s):
            continue  # MAC address, certificate serial or fingerprint
        try:
            ip = ipaddress.IPv6Address(s)
        except ValueError:
            continue  # times (10:15:22), SCSI ids (6:0:0:0) and the like
        v6_spans.append(m.span(1))
        if not ip_allowed(ip):
            yield from once("ipv6", s, f"public IPv6 {s}; use 2001:db8::/32 "
                                       "(or a private/link-local address)")
    for m in IPV4.finditer(text):
        s = m.group(1)
        if any(a <= m.start(1) < b for a, b in v6_spans):
            continue
        try:
            ip = ipaddress.IPv4Address(s)
        except ValueError:
            continue  # not an address: an octet above 255
        before = text[max(0, m.start(1) - 300):m.start(1)]
        if VERSION_LABEL.search(before[-40:]):
            continue  # "AppVersion":"2.4.58.0", AttributeSyntaxOID'>2.5.5.9
        if UA_PRODUCT.search(before[-40:]) and UA_FIELD.search(before):
            continue  # User-Agent product token: Chrome/122.0.0.0
        if not ip_allowed(ip):
            yield from once("ipv4", s, f"public IPv4 {s}; use 192.0.2.0/24, 198.51.100.0/24 or "
                                       "203.0.113.0/24 (or a private address)")
    for m in EMAIL.finditer(text):
        local, domain = m.group(1), m.group(2)
        if not email_allowed(local, domain):
            yield from once("email", m.group(0), f"e-mail address {m.group(0)} outside the documentation "
                                                  "domains; use example.com/.net/.org")
    for m in AWS_KEY_ID.finditer(text):
        if not m.group(1).endswith("EXAMPLE"):
            yield from once("aws-key-id", m.group(1), f"AWS access key id {m.group(1)}; use one ending "
                                                       "in EXAMPLE (AKIAIOSFODNN7EXAMPLE)")
    for m in AWS_SECRET.finditer(text):
        s = m.group(1)
        if "EXAMPLE" in s.upper() or not (re.search(r"[A-Z]", s) and re.search(r"[a-z]", s)):
            continue
        labelled = SECRET_LABEL.search(text[max(0, m.start() - 48):m.start()]) is not None
        looks_b64 = re.search(r"[/+]", s) and re.search(r"\d", s) and not s.startswith("/") and "//" not in s
        if labelled or looks_b64:
            yield from once("aws-secret-key", s, f"AWS secret access key {s[:8]}...; use "
                                                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    for m in PRIVATE_KEY.finditer(text):
        body = text[m.end():m.end() + 400].split("-----END", 1)[0]
        body = body.replace("\\n", "").replace("\n", "").replace("\r", "").replace(" ", "")
        if KEY_MATERIAL.search(body) and "EXAMPLE" not in body.upper():
            yield from once("private-key", m.start(), f"private key block ({m.group(1)}); "
                                                       "leave the body out or write EXAMPLE")
    for m in JWT.finditer(text):
        if "EXAMPLE" not in m.group(1).upper():
            yield from once("jwt", m.group(1), f"JWT {m.group(1)[:16]}...; write a placeholder "
                                                "such as <jwt> or eyJ...EXAMPLE")
    for kind, rx in API_TOKENS:
        for m in rx.finditer(text):
            if "EXAMPLE" not in m.group(1).upper():
                yield from once("api-token", m.group(1), f"{kind} {m.group(1)[:12]}...; "
                                                           "write one containing EXAMPLE")
    for m in CREDENTIAL.finditer(text):
        key = m.group("k1") or m.group("k2") or m.group("k3") or m.group("k4")
        if not is_secret_key(key):
            continue
        value = next((v for v in (m.group(g) for g in ("v1", "v2", "v3", "v4", "v5", "v6"))
                      if v is not None), "")
        if value.strip().startswith(("{", "[")) and m.group("v1") is None and m.group("v3") is None:
            continue  # "credentials":{...}: a structure, not a value
        if m.group("v2") is not None and JSON_NUMBER.match(value):
            continue  # "pass":11 (kube-bench): a JSON number is a count, not a credential
        if not is_placeholder_value(value):
            yield from once("credential", (key, value),
                            f"credential {key}={value[:24]!r}; use a placeholder such as "
                            "<redacted>, ******** or EXAMPLE")
    for rx in (URL_USERINFO, AUTH_HEADER):
        for m in rx.finditer(text):
            if not is_placeholder_value(m.group("v")):
                yield from once("credential", m.group(0), f"credential in {m.group(0)[:32]!r}...; use a "
                                                           "placeholder such as <redacted> or EXAMPLE")


# "For <code>Mount</code> and <code>Unmount</code> events, see the <a href='file_activity'>...":
# a class's (or activity's) own text sending some events to another class.
REDIRECT = re.compile(r"For ((?:<code>)?\w+(?:</code>)?(?:(?:,| and| or) (?:<code>)?\w+(?:</code>)?)*) events?,? "
                      r"(?:see|use) the <a[^>]*href='(\w+)'")
# A null activity needs an activity_rule.
RULE_REQUIRED = True
PLATFORMS = ("windows", "linux", "macos", "unix", "android", "ios", "network_device", "any")
# Schema extension -> the platform its classes describe (an extension class is only for it).
EXTENSION_PLATFORM = {"win": "windows", "linux": "linux", "macos": "macos"}


def load_schema_rules(path):
    """What the schema's own text and structure say about where events belong (issue #20):
    {class_uid: extension} for extension classes, and redirections
    [(from_uid, [event words], to_uid, to_name)] read from class and activity descriptions."""
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    by_name = {n: c.get("uid") for n, c in schema.get("classes", {}).items()}
    ext, redirects = {}, []
    for key, cls in schema.get("classes", {}).items():
        uid = cls.get("uid")
        if not isinstance(uid, int):
            continue
        # The schema server's export says `extension`; the compiled schema prefixes the key.
        name = key if "/" in key else (cls.get("name") or "")
        if cls.get("extension") or "/" in name:
            ext[uid] = cls.get("extension") or name.split("/", 1)[0]
        texts = [cls.get("description") or ""]
        enum = cls.get("attributes", {}).get("activity_id", {}).get("enum", {})
        texts += [(v or {}).get("description") or "" for v in enum.values()]
        for t in texts:
            for m in REDIRECT.finditer(t):
                words = [w.lower() for w in re.findall(r"\w+", re.sub(r"</?code>", "", m.group(1)))
                         if w not in ("and", "or")]
                to = by_name.get(m.group(2))
                if isinstance(to, int) and to != uid:
                    redirects.append((uid, words, to, m.group(2)))
    return ext, redirects


NUMERIC_ID = re.compile(r"^\d{1,6}$")
CATALOGUE_KEYS = {"family": str, "vendor": str, "document": str, "version": str, "products": list, "ids": dict}


def load_catalogues(checker, root):
    """knowledge/catalogues/<family>.json: a vendor's published list of numeric event or message
    ids (issue #20). Returns {pack product: (family, ids)}."""
    by_product = {}
    for path in sorted((root / "catalogues").glob("*.json")):
        where = str(path)
        try:
            cat = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:
            checker.err(where, f"not valid JSON: {e}")
            continue
        if not isinstance(cat, dict) or not checker.check_keys(where, cat, CATALOGUE_KEYS):
            continue
        ids = cat["ids"]
        for k, v in ids.items():
            if not NUMERIC_ID.match(k):
                checker.err(where, f"id {k!r} is not a number")
            if not isinstance(v, dict) or not isinstance(v.get("name"), str) or not v["name"].strip() \
                    or not isinstance(v.get("security"), bool):
                checker.err(where, f"id {k}: needs {{\"name\": text, \"security\": true|false}}")
        for prod in cat["products"]:
            if prod in by_product:
                checker.err(where, f"product {prod!r} is in two catalogues")
            by_product[prod] = (cat["family"], ids)
    return by_product


def check_numeric_families(checker, pack, catalogues):
    """A pack line of a catalogued product names only ids the vendor's list has; the list's
    security ids each have a pack line (missing ones are counted and printed)."""
    covered = defaultdict(set)
    for where, obj in pack:
        fam = catalogues.get(obj.get("product"))
        if not fam:
            continue
        family, ids = fam
        event = obj.get("event", "")
        vals = [v for v in (obj.get("identify") or {}).get("values") or [] if isinstance(v, str)]
        for v in ([event] if NUMERIC_ID.match(event or "") else []) + [v for v in vals if NUMERIC_ID.match(v)]:
            if v in ids:
                covered[family].add(v)
            else:
                checker.err(where, f"id {v} is not in the {family} catalogue (knowledge/catalogues/"
                                   f"{family}.json, the vendor's list)")
    gaps = {}
    for family, ids in {f: i for f, i in catalogues.values()}.items():
        sec = {k for k, v in ids.items() if isinstance(v, dict) and v.get("security") is True}
        gaps[family] = (len(sec - covered[family]), len(sec))
    return gaps


def load_schema(path):
    """Return {class_uid: (name, deprecated, set(activity_ids))}."""
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    classes = {}
    for name, cls in schema.get("classes", {}).items():
        uid = cls.get("uid")
        if not isinstance(uid, int):
            continue
        enum = cls.get("attributes", {}).get("activity_id", {}).get("enum", {})
        acts = {int(k) for k in enum}
        classes[uid] = (name, cls.get("@deprecated") is not None, acts)
    return classes


class Checker:
    def __init__(self, classes, ext=None, redirects=()):
        self.classes = classes
        self.ext = ext or {}
        self.redirects = list(redirects)
        self.no_rule = 0  # null-activity lines without an activity_rule
        self.errors = []
        self.warnings = []
        self.findings = Counter()  # placeholder-scan errors by kind

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def warn(self, where, msg):
        self.warnings.append(f"{where}: {msg}")

    def check_class(self, where, uid, act, allow_null_act):
        if uid not in self.classes:
            self.err(where, f"class_uid {uid} is not in the schema")
            return
        name, deprecated, acts = self.classes[uid]
        if deprecated:
            self.err(where, f"class_uid {uid} ({name}) is deprecated")
        if act is None:
            if not allow_null_act:
                self.err(where, "activity_id must be an integer")
            return
        if isinstance(act, bool) or not isinstance(act, int):
            self.err(where, f"activity_id {act!r} is not an integer")
        elif act not in acts:
            self.err(where, f"activity_id {act} not in {name} enum {sorted(acts)}")

    def check_keys(self, where, obj, spec):
        ok = True
        for key, typ in spec.items():
            val = obj.get(key)
            if val is None:
                self.err(where, f"missing key '{key}'")
                ok = False
            elif isinstance(val, bool) or not isinstance(val, typ):
                self.err(where, f"'{key}' must be {typ.__name__}")
                ok = False
            elif typ is str and not val.strip() and key not in OPTIONAL_EMPTY:
                self.err(where, f"'{key}' is empty")
                ok = False
        return ok

    def check_placeholders(self, where, text):
        for kind, msg in scan_placeholders(text):
            self.findings[kind] += 1
            self.err(where, msg)

    def check_pack_line(self, where, obj):
        if not self.check_keys(where, obj, PACK_KEYS):
            return
        if "activity_id" not in obj:
            self.err(where, "missing key 'activity_id' (use null when it depends on the record)")
        ident = obj["identify"]
        for key in IDENTIFY_KEYS:
            val = ident.get(key)
            if not isinstance(val, list) or not all(isinstance(v, str) and v for v in val):
                self.err(where, f"identify.{key} must be a list of non-empty strings")
        if not any(ident.get(k) for k in IDENTIFY_KEYS):
            self.err(where, "identify has no fields, values or patterns")
        self.check_class(where, obj["class_uid"], obj.get("activity_id"), True)
        self.check_provenance(where, obj.get("provenance"))
        self.check_activity_rule(where, obj)
        self.check_platform(where, obj)
        self.check_redirects(where, obj)
        self.check_values(where, obj)

    def check_activity_rule(self, where, obj):
        """`activity_rule` (issue #20): how the engine picks the activity of a null-activity line.
        {"field": F, "values": {value: id}, "default": id?} or {"verb": F}; ids from the enum."""
        rule = obj.get("activity_rule")
        uid, act = obj.get("class_uid"), obj.get("activity_id")
        if rule is None:
            if act is None:
                self.no_rule += 1
                if RULE_REQUIRED:
                    self.err(where, "activity_id is null and there is no activity_rule "
                                    "(knowledge/README.md, machine-applicable activities)")
            return
        if act is not None:
            self.err(where, "activity_rule given but activity_id is fixed; use one or the other")
        if not isinstance(rule, dict):
            self.err(where, "activity_rule must be an object")
            return
        acts = self.classes.get(uid, (None, None, set()))[2]
        kinds = [k for k in ("field", "verb") if k in rule]
        if len(kinds) != 1:
            self.err(where, "activity_rule needs exactly one of 'field' (with 'values') or 'verb'")
            return
        extra = set(rule) - ({"field", "values", "default"} if kinds == ["field"] else {"verb"})
        if extra:
            self.err(where, f"activity_rule has unknown keys {sorted(extra)}")
        name = rule[kinds[0]]
        if not isinstance(name, str) or not name.strip():
            self.err(where, f"activity_rule.{kinds[0]} must name a record field")
        if kinds == ["field"]:
            table = rule.get("values")
            if not isinstance(table, dict) or not table:
                self.err(where, "activity_rule.values must be a non-empty {value: activity_id} table")
                table = {}
            ids = list(table.values())
            if "default" in rule:
                ids.append(rule["default"])
            for a in ids:
                if isinstance(a, bool) or not isinstance(a, int):
                    self.err(where, f"activity_rule activity {a!r} is not an integer")
                elif acts and a not in acts:
                    self.err(where, f"activity_rule activity {a} not in the class's enum {sorted(acts)}")

    def check_platform(self, where, obj):
        """Extension classes only for their platform: a line using one says `platform`."""
        plat = obj.get("platform")
        if plat is not None and plat not in PLATFORMS:
            self.err(where, f"platform {plat!r} is not one of {list(PLATFORMS)}")
        ext = self.ext.get(obj.get("class_uid"))
        want = EXTENSION_PLATFORM.get(ext)
        if want and plat != want:
            self.err(where, f"class {obj.get('class_uid')} belongs to the '{ext}' extension: only "
                            f"lines with platform \"{want}\" may use it (got {plat!r})")

    def check_redirects(self, where, obj):
        """Events the schema's own text sends to another class stay out of the first one."""
        words = set(re.findall(r"[a-z]+", (obj.get("event", "") + " " + obj.get("title", "")).lower()))
        for frm, evs, to, to_name in self.redirects:
            if obj.get("class_uid") != frm:
                continue
            hit = [e for e in evs if any(w == e or (w.startswith(e) and len(w) - len(e) <= 2)
                                         for w in words)]
            if hit:
                self.err(where, f"the schema sends {'/'.join(hit)} events to {to_name} ({to}), "
                                f"not class {frm}")

    def check_values(self, where, obj):
        """identify.values are what records carry: an API route or URL is what a client calls,
        and a field name is a key (AUDIT-3: SentinelOne `activityType` listed as a value)."""
        ident = obj.get("identify") or {}
        keys = set()
        for f in ident.get("fields") or []:
            if isinstance(f, str) and f.strip():
                keys.add(f.strip().lower())
                keys.add(f.strip().rsplit(".", 1)[-1].lower())
        event = str(obj.get("event") or "").strip().lower()
        for v in ident.get("values") or []:
            if not isinstance(v, str):
                continue
            if re.match(r"^(?:GET|POST|PUT|PATCH|DELETE) /", v) or re.match(r"^/(?:api|v\d+)/", v):
                self.err(where, f"identify.values {v!r} is an API route, not a value records "
                                "carry; name the event as the record spells it")
            # A value spelled like one of the line's own fields (whole path or last segment, any
            # case) is a key, unless it is the event's own name: CloudTrail's ConsoleLogin is both
            # the eventName and the key responseElements.ConsoleLogin, Samba's type Authentication
            # names its own object.
            lv = v.strip().lower()
            if lv and lv in keys and lv != event:
                self.err(where, f"identify.values contains a field name: {v!r} is a key of this "
                                "line's identify.fields, not a value records carry; list the values "
                                "that field takes (event ids, type names)")

    def check_provenance(self, where, prov):
        """Optional `provenance` (issue #20): the vendor document a line was written from.
        When present it must name the document and the product version it describes."""
        if prov is None:
            return
        if not isinstance(prov, dict):
            self.err(where, "'provenance' must be an object {document, version}")
            return
        for key in PROVENANCE_KEYS:
            val = prov.get(key)
            if not isinstance(val, str) or not val.strip():
                self.err(where, f"provenance.{key} must be a non-empty string")
        extra = set(prov) - set(PROVENANCE_KEYS)
        if extra:
            self.err(where, f"provenance has unknown keys {sorted(extra)}")

    def check_example_line(self, where, obj):
        if not self.check_keys(where, obj, EXAMPLE_KEYS):
            return
        if not SLUG.match(obj["source"]):
            self.err(where, f"source {obj['source']!r} must look like pack/<product-slug>")
        raw = obj["raw"]
        head = raw.lstrip()[:2].replace(" ", "")
        # Bracketed text logs ("[Mon Mar 04 ...] [error]") are not JSON; arrays of objects are.
        if head.startswith("{") or head[:2] in ("[{", "[[", '["'):
            try:
                json.loads(raw)
            except ValueError as e:
                self.err(where, f"raw looks like JSON but does not parse: {e}")
        self.check_placeholders(where, raw)
        self.check_class(where, obj["class_uid"], obj["activity_id"], False)


def shared_field_lists(lines):
    """Products whose pack lines all carry one identify.fields list (issue #20: identification
    must be per event, from the vendor's per-event documentation; a list copied onto every
    line names fields that some events do not have). `lines` is (product, fields) pairs;
    returns [(product, number of lines)] for products of three or more lines with one
    non-empty list between them."""
    by_product = defaultdict(list)
    for product, fields in lines:
        if isinstance(product, str) and isinstance(fields, list):
            by_product[product].append(tuple(fields))
    return sorted((p, len(fs)) for p, fs in by_product.items()
                  if len(fs) >= 3 and fs[0] and all(f == fs[0] for f in fs))


def check_products(checker, path, pack_products, example_sources, dev_sources):
    """Check the product identity table against the names that exist.

    pack_products and example_sources are sets of the names in the knowledge
    pack and examples; dev_sources is the set of dev-set sources, or None when
    the dev files are absent (then the dev lists are not checked).
    Returns the list of rows (parsed objects that passed the key checks).
    """
    rows = []
    if not path.is_file():
        checker.err(str(path), "missing product identity table")
        return rows
    ids, in_pack, in_dev = {}, set(), set()
    ex_rows = {}
    for where, obj in read_jsonl(checker, path, base=path.parent.parent):
        extra = set(obj) - set(PRODUCT_KEYS) - set(PRODUCT_OPTIONAL)
        if extra:
            checker.err(where, f"unknown keys {sorted(extra)}")
        if not checker.check_keys(where, obj, PRODUCT_KEYS):
            continue
        bad = False
        for key, typ in PRODUCT_OPTIONAL.items():
            if key in obj and (not isinstance(obj[key], typ) or not obj[key].strip()):
                checker.err(where, f"'{key}' must be a non-empty {typ.__name__} when present")
        for key in ("pack", "examples", "dev"):
            vals = obj[key]
            if not all(isinstance(v, str) and v.strip() for v in vals):
                checker.err(where, f"'{key}' must be a list of non-empty strings")
                bad = True
            elif len(set(vals)) != len(vals):
                checker.err(where, f"'{key}' lists a name twice")
        if bad:
            continue
        pid = obj["product_id"]
        if not PRODUCT_ID.match(pid):
            checker.err(where, f"product_id {pid!r} must be a lower-case slug [a-z0-9-]")
        if pid in ids:
            checker.err(where, f"product_id {pid!r} already used at {ids[pid]}")
        ids[pid] = where
        if not (obj["pack"] or obj["examples"] or obj["dev"]):
            checker.err(where, f"product {pid!r} lists no pack product, example source or dev source")
        for name in obj["pack"]:
            if name not in pack_products:
                checker.err(where, f"pack product {name!r} is not the product of any pack line")
            in_pack.add(name)
        for name in obj["examples"]:
            if name not in example_sources:
                checker.err(where, f"example source {name!r} is not the source of any example")
            if name in ex_rows:
                checker.err(where, f"example source {name!r} already listed by {ex_rows[name]}")
            else:
                ex_rows[name] = pid
        for name in obj["dev"]:
            if dev_sources is not None and name not in dev_sources:
                checker.err(where, f"dev source {name!r} is not the source of any dev record")
            in_dev.add(name)
        rows.append(obj)
    where = str(path.relative_to(path.parent.parent))
    for name in sorted(pack_products - in_pack):
        checker.err(where, f"pack product {name!r} is in no row's 'pack'")
    for name in sorted(example_sources - set(ex_rows)):
        checker.err(where, f"example source {name!r} is in no row's 'examples'")
    for name in sorted((dev_sources or set()) - in_dev):
        checker.err(where, f"dev source {name!r} is in no row's 'dev'")
    return rows


def read_dev_sources(checker, patterns):
    """Return (set of `source` values, number of files) of the dev-set files, or (None, 0) when none exist."""
    files = sorted({p for pat in patterns for p in glob.glob(pat)})
    if not files:
        return None, 0
    sources = set()
    for name in files:
        with open(name, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    src = json.loads(line).get("source")
                except (ValueError, AttributeError):
                    checker.err(f"{name}:{n}", "dev record is not a JSON object")
                    continue
                if not isinstance(src, str) or not src:
                    checker.err(f"{name}:{n}", "dev record has no 'source'")
                    continue
                sources.add(src)
    return sources, len(files)


def read_jsonl(checker, path, base=None):
    """Yield (where, obj) for each non-blank line that parses as an object.

    `base` is the folder `where` is relative to; by default the parent of the
    knowledge folder (for knowledge/<kind>/<area>.jsonl), and then the file name
    must be an area name.
    """
    if base is None:
        base = path.parent.parent.parent
        if not AREA.match(path.name):
            checker.err(str(path), "file name must be <area>.jsonl in lower case")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            where = f"{path.relative_to(base)}:{n}"
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                checker.err(where, f"invalid JSON: {e}")
                continue
            if not isinstance(obj, dict):
                checker.err(where, "line is not a JSON object")
                continue
            yield where, obj


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schema", default=os.environ.get("OCSF_SCHEMA", str(DEFAULT_SCHEMA)))
    ap.add_argument("--knowledge", default=str(REPO / "knowledge"))
    ap.add_argument("--min-examples", type=int, default=3,
                    help="minimum examples per active class (0 disables)")
    ap.add_argument("--dev", nargs="+", default=DEFAULT_DEV, metavar="GLOB",
                    help="dev-set JSONL files (globs) whose sources the product table must cover; "
                         "skipped when none exist (default: ../shared/data/dev{,2}/*.jsonl)")
    ap.add_argument("--report", action="store_true", help="print per-class and product counts")
    args = ap.parse_args()

    try:
        classes = load_schema(args.schema)
    except (OSError, ValueError) as e:
        print(f"error: cannot load schema {args.schema}: {e}", file=sys.stderr)
        return 2
    ext, redirects = load_schema_rules(args.schema)
    checker = Checker(classes, ext, redirects)
    root = Path(args.knowledge)
    pack_files = sorted((root / "pack").glob("*.jsonl"))
    example_files = sorted((root / "examples").glob("*.jsonl"))
    if not pack_files:
        checker.err(str(root / "pack"), "no pack files")
    if not example_files:
        checker.err(str(root / "examples"), "no example files")

    products, pack_lines, pack_classes, field_lists = set(), 0, Counter(), []
    pack_products, example_sources = set(), set()
    seen_pack, no_provenance, pack_seen = {}, 0, []
    for path in pack_files:
        for where, obj in read_jsonl(checker, path):
            pack_lines += 1
            checker.check_pack_line(where, obj)
            pack_seen.append((where, obj))
            key = (obj.get("product"), obj.get("event"), obj.get("class_uid"), obj.get("activity_id"))
            if key in seen_pack:
                checker.err(where, f"duplicate of {seen_pack[key]}")
            seen_pack[key] = where
            products.add((obj.get("vendor"), obj.get("product")))
            if isinstance(obj.get("product"), str):
                pack_products.add(obj["product"])
            pack_classes[obj.get("class_uid")] += 1
            if obj.get("provenance") is None:
                no_provenance += 1
            field_lists.append((obj.get("product"), (obj.get("identify") or {}).get("fields")))
    shared = shared_field_lists(field_lists)
    catalogues = load_catalogues(checker, root)
    gaps = check_numeric_families(checker, pack_seen, catalogues)
    for product, n in shared:
        checker.warn(f"pack product {product!r}",
                     f"all {n} lines share one identify.fields list: give each event the fields "
                     "its own records carry (knowledge/README.md, per-event identification)")

    ex_lines, ex_classes, seen_raw = 0, Counter(), {}
    for path in example_files:
        for where, obj in read_jsonl(checker, path):
            ex_lines += 1
            checker.check_example_line(where, obj)
            raw = obj.get("raw")
            if raw in seen_raw:
                checker.err(where, f"duplicate raw record of {seen_raw[raw]}")
            seen_raw[raw] = where
            ex_classes[obj.get("class_uid")] += 1
            if isinstance(obj.get("source"), str):
                example_sources.add(obj["source"])

    dev_sources, dev_files = read_dev_sources(checker, args.dev)
    rows = check_products(checker, root / PRODUCTS_FILE, pack_products, example_sources, dev_sources)

    active = {uid: c for uid, c in classes.items() if not c[1]}
    thin = [(uid, active[uid][0], ex_classes.get(uid, 0)) for uid in sorted(active)
            if ex_classes.get(uid, 0) < args.min_examples]
    for uid, name, n in thin:
        checker.err("coverage", f"class {uid} ({name}) has {n} examples, need {args.min_examples}")

    if args.report:
        print(f"{'uid':>7} {'class':<40} {'pack':>5} {'examples':>8}")
        for uid in sorted(active):
            print(f"{uid:>7} {active[uid][0]:<40} {pack_classes.get(uid, 0):>5} {ex_classes.get(uid, 0):>8}")
        print(f"products (rows of {PRODUCTS_FILE} with pack lines): {sum(1 for r in rows if r['pack'])}; "
              f"rows: {len(rows)}, with examples: {sum(1 for r in rows if r['examples'])}, "
              f"with dev sources: {sum(1 for r in rows if r['dev'])}")
        if dev_sources is None:
            print("dev sources: no dev files found, dev check skipped")
        else:
            print(f"dev sources: {len(dev_sources)} from {dev_files} files, checked")
    for w in checker.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for e in checker.errors:
        print(f"error: {e}", file=sys.stderr)
    if checker.findings:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(checker.findings.items()))
        print(f"placeholder scan: {sum(checker.findings.values())} findings in examples ({kinds})",
              file=sys.stderr)
    print(f"products sharing one field list across all lines: {len(shared)}", file=sys.stderr)
    for family, (missing, total) in sorted(gaps.items()):
        print(f"numeric family {family}: {total - missing} of {total} security ids have a pack line",
              file=sys.stderr)
    print(f"pack lines without provenance: {no_provenance}; null activities without a rule: "
          f"{checker.no_rule}", file=sys.stderr)
    # The product count uses the unit of products.jsonl (one vendor's one product line, issue #16);
    # distinct pack `product` strings are printed beside it.
    print(f"products={sum(1 for r in rows if r['pack'])} pack_product_names={len(products)} "
          f"pack_lines={pack_lines} example_lines={ex_lines} "
          f"classes_with_examples={sum(1 for u in active if ex_classes.get(u))}/{len(active)} "
          f"errors={len(checker.errors)} warnings={len(checker.warnings)}")
    return 1 if checker.errors else 0


if __name__ == "__main__":
    sys.exit(main())
