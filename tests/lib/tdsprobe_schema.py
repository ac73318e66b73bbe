#!/usr/bin/env python3
"""Checks tdsprobe --json records against docs/tdsprobe.schema.json (JSON Schema 2020-12) with
python3-jsonschema (Debian; scripts/bootstrap.sh test installs it).

    import tdsprobe_schema
    if tdsprobe_schema.available():
        tdsprobe_schema.check_records(objs)   # AssertionError naming record, path and rule

As a program: tdsprobe_schema.py [--if-available] FILE...
    every line of every FILE is one record (JSON Lines); exit 0 when all validate, 1 when one
    does not (the errors on stderr), 2 when jsonschema is missing, unless --if-available: then
    0 with a note on stderr (the unit tests' second opinion, not their subject).
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError:  # the dedicated test (tests/integration/test_schema.py) requires it
    jsonschema = None

SCHEMA_PATH = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "..", "docs", "tdsprobe.schema.json"))
_validator = None


def available():
    return jsonschema is not None


def load_schema():
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


def validator():
    """The Draft 2020-12 validator for the schema, which is itself checked against the
    metaschema first."""
    global _validator
    if _validator is None:
        schema = load_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        _validator = jsonschema.Draft202012Validator(schema)
    return _validator


def errors(obj):
    """Every way obj breaks the schema, as "path: message" lines (empty when it validates)."""
    out = []
    for e in sorted(validator().iter_errors(obj), key=lambda e: list(e.absolute_path)):
        # a oneOf failure carries each branch's reasons: report the deepest ones, which name
        # the member that is wrong rather than "not of type null"
        leaves = [e]
        while any(x.context for x in leaves):
            leaves = [c for x in leaves for c in (x.context or [x])]
        depth = max(len(x.absolute_path) for x in leaves)
        for x in leaves:
            if len(x.absolute_path) == depth:
                path = "/".join(str(p) for p in x.absolute_path) or "(record)"
                out.append("%s: %s" % (path, x.message))
    return out


def check_records(objs):
    """Raises AssertionError for the first record that does not validate."""
    for i, obj in enumerate(objs):
        errs = errors(obj)
        if errs:
            raise AssertionError("record %d (target %r) breaks docs/tdsprobe.schema.json:\n  %s"
                                 % (i, obj.get("target") if isinstance(obj, dict) else None,
                                    "\n  ".join(errs[:10])))


def main(argv):
    lenient = "--if-available" in argv
    files = [a for a in argv if a != "--if-available"]
    if not available():
        print("tdsprobe_schema: python3-jsonschema is not installed "
              "(apt-get install python3-jsonschema)", file=sys.stderr)
        return 0 if lenient else 2
    objs = []
    for path in files:
        with open(path, "rb") as f:
            objs += [json.loads(line.decode("utf-8")) for line in f if line.strip()]
    try:
        check_records(objs)
    except AssertionError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
