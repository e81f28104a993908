#!/usr/bin/env python3
"""Independent check of the lake's Parquet files: pyarrow reads every file; each column's
type is compared with the OCSF type of the attribute in the given OCSF version (read from the
PyPI `ocsf-json-schema` export of that version); every row, turned back into JSON, is checked
with the JSON Schema `ocsf-json-schema` generates for its class and profiles (`jsonschema`).

Usage: check-lake-parquet.py --version 1.3.0 FILE.parquet...
Output (stdout): one JSON summary {"files", "rows", "uids", "type_errors", "invalid", "valid"}.
Exit status 0 when every file reads, every type matches and every row is valid; 1 otherwise;
2 when the checker itself cannot run.

The packages live in a virtualenv the script creates on first use (and reuses) under
${OCSFMAP_CACHE:-$HOME/.cache/ocsfmap}/venvs/lake-check.
"""

import argparse
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pyvenv import ensure_venv  # noqa: E402

REQUIREMENTS = ["pyarrow>=15,<30", "ocsf-json-schema==1.2.0", "jsonschema>=4.20,<5"]
MAX_ERRORS = 20


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--version", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    ensure_venv("lake-check", REQUIREMENTS, __file__)

    import jsonschema
    import pyarrow as pa
    import pyarrow.parquet as pq
    from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

    raw = get_ocsf_schema(version=args.version)
    schema = OcsfJsonSchemaEmbedded(raw)
    classes = {c["uid"]: (key, c) for key, c in raw["classes"].items()}
    types = raw["dictionary"]["types"]["attributes"] if "dictionary" in raw else raw["types"]
    objects = raw["objects"]

    def primitive(t):
        d = types.get(t, {})
        return d.get("type") or t

    def expected(attr):
        """The Arrow type an attribute must have, or None for an object (checked apart)."""
        t = attr.get("type")
        if t == "object_t":
            return None
        if t == "timestamp_t":
            return "timestamp"  # milliseconds, UTC: checked below
        return {
            "boolean_t": pa.bool_(), "integer_t": pa.int32(), "long_t": pa.int64(),
            "float_t": pa.float64(), "string_t": pa.string(), "json_t": pa.string(),
        }[primitive(t)]

    type_errors = []

    def check_fields(fields, attrs, path):
        for f in fields:
            where = f"{path}{f.name}"
            attr = attrs.get(f.name)
            if attr is None:
                type_errors.append(f"{where}: not an attribute in OCSF {args.version}")
                continue
            is_json = (f.metadata or {}).get(b"ocsf.json") == b"true"
            t = f.type
            if is_json:
                if t != pa.string():
                    type_errors.append(f"{where}: JSON text column of type {t}")
                continue
            if attr.get("is_array"):
                if not pa.types.is_list(t):
                    type_errors.append(f"{where}: array attribute stored as {t}")
                    continue
                t = t.value_type
            want = expected(attr)
            if want is None:
                if not pa.types.is_struct(t):
                    type_errors.append(f"{where}: object stored as {t}")
                    continue
                sub = objects[attr["object_type"]]["attributes"]
                check_fields([t.field(i) for i in range(t.num_fields)], sub, where + ".")
            elif want == "timestamp":
                if not (pa.types.is_timestamp(t) and t.unit == "ms" and t.tz in ("UTC", "+00:00")):
                    type_errors.append(f"{where}: {t}, OCSF timestamp_t is milliseconds in UTC")
            elif t != want:
                type_errors.append(f"{where}: {t}, OCSF {attr['type']} is {want}")

    def to_json(value, field):
        """A pyarrow Python value back to the event's JSON."""
        if value is None:
            return None
        if (field.metadata or {}).get(b"ocsf.json") == b"true":
            return json.loads(value)
        t = field.type
        if pa.types.is_timestamp(t):
            return int(value.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000) if value.tzinfo is None else int(value.timestamp() * 1000)
        if pa.types.is_list(t):
            return [to_json(v, t.value_field) for v in value]
        if pa.types.is_struct(t):
            out = {}
            for i in range(t.num_fields):
                sub = t.field(i)
                v = to_json(value.get(sub.name), sub)
                if v is not None:
                    out[sub.name] = v
            return out
        return value

    validators = {}
    files = rows = valid = 0
    invalid = []
    uids = []
    for path in args.files:
        table = pq.read_table(path)
        files += 1
        meta = table.schema.metadata or {}
        class_uid = int(meta.get(b"ocsf.class_uid", b"-1"))
        if class_uid not in classes:
            type_errors.append(f"{path}: class {class_uid} is not in OCSF {args.version}")
            continue
        key, cls = classes[class_uid]
        check_fields(list(table.schema), cls["attributes"], "")
        for n, row in enumerate(table.to_pylist()):
            rows += 1
            event = {}
            for f in table.schema:
                v = to_json(row.get(f.name), f)
                if v is not None:
                    event[f.name] = v
            uids.append((event.get("metadata") or {}).get("uid"))
            profiles = tuple(sorted((event.get("metadata") or {}).get("profiles") or []))
            vkey = (class_uid, profiles)
            if vkey not in validators:
                validators[vkey] = jsonschema.Draft202012Validator(schema.get_class_schema(key, list(profiles)))
            errors = list(validators[vkey].iter_errors(event))
            if errors:
                if len(invalid) < MAX_ERRORS:
                    e = errors[0]
                    where = "/".join(str(p) for p in e.absolute_path) or "(event)"
                    invalid.append({"file": os.path.basename(path), "row": n, "error": f"{where}: {e.message[:300]}"})
            else:
                valid += 1
    report = {"ocsf_version": args.version, "files": files, "rows": rows, "valid": valid,
              "uids": uids, "type_errors": type_errors[:MAX_ERRORS], "invalid": invalid}
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0 if valid == rows and not type_errors else 1


if __name__ == "__main__":
    sys.exit(main())
