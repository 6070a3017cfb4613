#!/usr/bin/env python3
"""Read spotlake's tables with Apache Spark and Iceberg's Java library.

Spark is the engine EMR runs, and Iceberg's Java catalogs are the ones Athena
and Trino share, so this is the reader that matters most besides spotlake.

Usage:
  spark_read.py --jars DIR --catalog NAME --namespace NS [--execute SQL_FILE] sql  --uri DB --warehouse URL [--event ID ...]
  spark_read.py --jars DIR --catalog NAME --namespace NS glue --warehouse s3://B/P --endpoint URL --region R [--event ID ...]

"sql" opens spotlake's SQLite catalog with Iceberg's JdbcCatalog (the same
tables as iceberg-go's SQL catalog; the catalog NAME must match spotlake's
config). "glue" opens the Glue catalog with Iceberg's GlueCatalog and
S3FileIO; --endpoint points both at an emulator, and credentials come from
the AWS default chain. Prints one JSON object: each table's row count, the
columns of events, per-source counts, and the values of the given events.
"""
import argparse
import glob
import json
import os
import sys
import time

from pyspark.sql import SparkSession


def session(a):
    jars = sorted(glob.glob(os.path.join(a.jars, "*.jar")))
    if not jars:
        sys.exit(f"spark_read: no jars in {a.jars}: run `make spark-jars`")
    cat = f"spark.sql.catalog.{a.catalog}"
    b = (
        SparkSession.builder.master("local[1]")
        .appName("spotlake-spark-read")
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config(cat, "org.apache.iceberg.spark.SparkCatalog")
        .config(f"{cat}.warehouse", a.warehouse)
    )
    if a.kind == "sql":
        b = b.config(f"{cat}.type", "jdbc").config(f"{cat}.uri", "jdbc:sqlite:" + a.uri)
    else:
        b = (
            b.config(f"{cat}.type", "glue")
            .config(f"{cat}.client.region", a.region)
            .config(f"{cat}.s3.path-style-access", "true")
        )
        if a.endpoint:
            b = b.config(f"{cat}.glue.endpoint", a.endpoint).config(f"{cat}.s3.endpoint", a.endpoint)
    return b.getOrCreate()


def main():
    # collect() turns timestamps into naive local datetimes: make local UTC.
    os.environ["TZ"] = "UTC"
    time.tzset()
    p = argparse.ArgumentParser()
    p.add_argument("--jars", required=True)
    p.add_argument("--catalog", required=True)
    p.add_argument("--namespace", required=True)
    p.add_argument("--event", action="append", default=[])
    p.add_argument("--execute", help="a file of SQL statements (;-terminated) to run first, e.g. `spotlake tables ddl`")
    sub = p.add_subparsers(dest="kind", required=True)
    s = sub.add_parser("sql")
    s.add_argument("--uri", required=True)
    s.add_argument("--warehouse", required=True)
    g = sub.add_parser("glue")
    g.add_argument("--warehouse", required=True)
    g.add_argument("--endpoint", default="")
    g.add_argument("--region", default="us-east-1")
    a = p.parse_args()

    spark = session(a)
    spark.sparkContext.setLogLevel("ERROR")
    if a.execute:
        with open(a.execute, encoding="utf-8") as f:
            for stmt in f.read().split(";\n"):
                if stmt.strip():
                    spark.sql(stmt)
    ns = f"{a.catalog}.{a.namespace}"
    out = {"tables": {}, "columns": [], "by_source": {}, "sample": {}}
    for row in spark.sql(f"SHOW TABLES IN {ns}").collect():
        name = row["tableName"]
        out["tables"][name] = spark.table(f"{ns}.{name}").count()
    ev = spark.table(f"{ns}.events")
    out["columns"] = ev.columns
    for row in ev.groupBy("source").count().collect():
        out["by_source"][row["source"]] = row["count"]
    if a.event:
        cols = ["event_id", "event_time", "source", "src_ip", "dst_port", "user_name", "raw", "attrs", "input_day"]
        for row in ev.where(ev.event_id.isin(a.event)).select(*cols).collect():
            r = row.asDict()
            r["event_time"] = r["event_time"].isoformat() + "Z"
            r["input_day"] = r["input_day"].isoformat()
            out["sample"][r["event_id"]] = r
    spark.stop()
    json.dump(out, sys.stdout, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
