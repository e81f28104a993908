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

Exit status is non-zero when any error is found. Warnings (e.g. a public IPv4
address that is not a documentation or private address) do not fail the run.

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
from collections import Counter
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
OPTIONAL_EMPTY = {"notes"}  # must be present, may be ""
SLUG = re.compile(r"^pack/[a-z0-9][a-z0-9._-]*$")
AREA = re.compile(r"^[a-z0-9][a-z0-9_-]*\.jsonl$")
# An IPv4 literal not glued to a version string such as "Chrome/120.0.0.0".
IPV4 = re.compile(r"(?<![\w./-])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
# Addresses fine to appear in example data: documentation, private, special.
ALLOWED_NETS = [
    ipaddress.ip_network(n)
    for n in (
        "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # RFC 5737
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
        "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/32",
        "224.0.0.0/4", "240.0.0.0/4", "198.18.0.0/15",  # multicast, reserved/netmasks
    )
]


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
    def __init__(self, classes):
        self.classes = classes
        self.errors = []
        self.warnings = []

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

    def check_ips(self, where, text):
        for m in IPV4.finditer(text):
            try:
                ip = ipaddress.ip_address(m.group(1))
            except ValueError:
                continue
            if "version" in text[max(0, m.start() - 24):m.start()].lower():
                continue  # "agentVersion": "23.4.2.14"
            octets = [int(o) for o in m.group(1).split(".")]
            if (octets[0] < 10 and max(octets) < 100) or octets[2:] == [0, 0]:
                continue  # version numbers and OIDs such as 2.4.58.0, 2.5.5.9, 122.0.0.0
            if not any(ip in net for net in ALLOWED_NETS):
                self.warn(where, f"public IPv4 {ip}; prefer RFC 5737 or private addresses")

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
        self.check_ips(where, raw)
        self.check_class(where, obj["class_uid"], obj["activity_id"], False)


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
    checker = Checker(classes)
    root = Path(args.knowledge)
    pack_files = sorted((root / "pack").glob("*.jsonl"))
    example_files = sorted((root / "examples").glob("*.jsonl"))
    if not pack_files:
        checker.err(str(root / "pack"), "no pack files")
    if not example_files:
        checker.err(str(root / "examples"), "no example files")

    products, pack_lines, pack_classes = set(), 0, Counter()
    pack_products, example_sources = set(), set()
    seen_pack = {}
    for path in pack_files:
        for where, obj in read_jsonl(checker, path):
            pack_lines += 1
            checker.check_pack_line(where, obj)
            key = (obj.get("product"), obj.get("event"), obj.get("class_uid"), obj.get("activity_id"))
            if key in seen_pack:
                checker.err(where, f"duplicate of {seen_pack[key]}")
            seen_pack[key] = where
            products.add((obj.get("vendor"), obj.get("product")))
            if isinstance(obj.get("product"), str):
                pack_products.add(obj["product"])
            pack_classes[obj.get("class_uid")] += 1

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
    print(f"products={len(products)} pack_lines={pack_lines} example_lines={ex_lines} "
          f"classes_with_examples={sum(1 for u in active if ex_classes.get(u))}/{len(active)} "
          f"errors={len(checker.errors)} warnings={len(checker.warnings)}")
    return 1 if checker.errors else 0


if __name__ == "__main__":
    sys.exit(main())
