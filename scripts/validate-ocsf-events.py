#!/usr/bin/env python3
"""Independent check of OCSF events: JSON Schema generated for each event's class (and the
profiles it declares in metadata.profiles) by PyPI `ocsf-json-schema`, validated with the
standard `jsonschema` package.

Input: JSON Lines on stdin or --input FILE; each line is an event object, or an object with an
`event` member (other members such as `id` are echoed in the report).
Output (stdout): one JSON summary {"checked", "valid", "invalid": [{"line", "id", "class_uid",
"errors": [...]}], "by_class": {...}}. Exit status 0 when every event is valid, 1 otherwise,
2 when the checker itself cannot run.

The packages live in a virtualenv the script creates on first use (and reuses) under
${OCSFMAP_CACHE:-$HOME/.cache/ocsfmap}/venvs/ocsf-validate.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pyvenv import ensure_venv  # noqa: E402

OCSF_VERSION = "1.8.0"
REQUIREMENTS = ["ocsf-json-schema==1.2.0", "jsonschema>=4.20,<5"]
MAX_ERRORS_PER_EVENT = 5


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", help="JSONL file (default: stdin)")
    ap.add_argument("--version", default=OCSF_VERSION, help="OCSF version of the events")
    ap.add_argument("--print-schema-path", action="store_true", help="print the packaged OCSF schema file and exit")
    args = ap.parse_args()
    ensure_venv("ocsf-validate", REQUIREMENTS, __file__)

    import jsonschema
    from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema
    import ocsf_json_schema

    if args.print_schema_path:
        print(os.path.join(os.path.dirname(ocsf_json_schema.__file__), "ocsf", f"{args.version}.json"))
        return 0

    raw = get_ocsf_schema(version=args.version)
    schema = OcsfJsonSchemaEmbedded(raw)
    # Our own uid -> class key map: the package's lookup returns the bare `name`, which
    # misses extension classes (keyed `win/windows_service_activity`).
    class_keys = {c["uid"]: key for key, c in raw["classes"].items()}
    validators = {}

    def validator_for(class_uid, profiles):
        key = (class_uid, tuple(sorted(profiles)))
        if key not in validators:
            if class_uid not in class_keys:
                raise ValueError(f"no class with uid {class_uid} in OCSF {args.version}")
            name = class_keys[class_uid]
            js = schema.get_class_schema(name, list(key[1]))
            validators[key] = jsonschema.Draft202012Validator(js)
        return validators[key]

    src = open(args.input) if args.input else sys.stdin
    checked = valid = 0
    invalid = []
    by_class = {}
    for n, line in enumerate(src, 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            invalid.append({"line": n, "errors": [f"not JSON: {e}"]})
            checked += 1
            continue
        event = obj.get("event", obj) if isinstance(obj, dict) else obj
        ident = obj.get("id") if isinstance(obj, dict) and "event" in obj else None
        checked += 1
        class_uid = event.get("class_uid") if isinstance(event, dict) else None
        stats = by_class.setdefault(str(class_uid), {"checked": 0, "valid": 0})
        stats["checked"] += 1
        try:
            profiles = (event.get("metadata") or {}).get("profiles") or []
            errors = sorted(validator_for(class_uid, profiles).iter_errors(event), key=lambda e: list(e.absolute_path))
        except (ValueError, TypeError, AttributeError) as e:
            errors = [e]
        if errors:
            msgs = []
            for e in errors[:MAX_ERRORS_PER_EVENT]:
                where = "/".join(str(p) for p in getattr(e, "absolute_path", [])) or "(event)"
                msgs.append(f"{where}: {getattr(e, 'message', str(e))[:300]}")
            invalid.append({"line": n, "id": ident, "class_uid": class_uid, "errors": msgs})
        else:
            valid += 1
            stats["valid"] += 1
    json.dump({"ocsf_version": args.version, "checked": checked, "valid": valid, "invalid": invalid, "by_class": by_class}, sys.stdout)
    sys.stdout.write("\n")
    return 0 if valid == checked else 1


if __name__ == "__main__":
    sys.exit(main())
