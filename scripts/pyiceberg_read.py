#!/usr/bin/env python3
"""Read a spotlake table with pyiceberg, an engine independent of spotlake.

Usage: pyiceberg_read.py CATALOG_DB WAREHOUSE NAMESPACE TABLE [EVENT_ID ...]

Opens the same SQLite catalog with pyiceberg's SqlCatalog (catalog name
"spotlake", as in spotlake's config) and prints one JSON object: the row
count, the columns, and for each EVENT_ID given the row's values.
"""
import json
import sys

from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.expressions import In


def main():
    db, warehouse, ns, name, *ids = sys.argv[1:]
    cat = SqlCatalog("spotlake", uri=f"sqlite:///{db}", warehouse=warehouse)
    tbl = cat.load_table(f"{ns}.{name}")
    arrow = tbl.scan().to_arrow()
    out = {"rows": arrow.num_rows, "columns": arrow.schema.names, "sample": {}}
    if ids:
        cols = ["event_id", "event_time", "source", "src_ip", "dst_port", "user_name", "raw", "attrs", "input_day"]
        sel = tbl.scan(row_filter=In("event_id", set(ids)), selected_fields=tuple(cols)).to_arrow().to_pylist()
        for row in sel:
            row["event_time"] = row["event_time"].isoformat()
            row["input_day"] = row["input_day"].isoformat()
            row["attrs"] = dict(row["attrs"]) if row["attrs"] is not None else None
            out["sample"][row["event_id"]] = row
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
