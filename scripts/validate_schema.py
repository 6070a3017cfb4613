#!/usr/bin/env python3
"""Validate JSON documents against a JSON Schema, as an editor would.

Usage: validate_schema.py SCHEMA DOC.json [DOC.json ...]

Prints one JSON object: for each document, the list of its errors (each
with the path of the offending field); an empty list means valid. Used by
spotlake's tests to check schemas/config.schema.json with an independent
validator (python-jsonschema, draft 2020-12).
"""
import json
import sys

from jsonschema import Draft202012Validator


def main():
    schema_path, *docs = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    v = Draft202012Validator(schema)
    out = {}
    for d in docs:
        with open(d, encoding="utf-8") as f:
            doc = json.load(f)
        out[d] = sorted(
            "/".join(str(p) for p in e.absolute_path) + ": " + e.message for e in v.iter_errors(doc)
        )
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
