"""spotlake's Spark task driver: Spark schedules, the spotlake binary works.

spotlake (the Go process) starts this with spark-submit in client mode and
listens on a Unix socket. The driver connects, says it is ready, then reads
one JSON request per line, {"id": N, "input": "..."}, and runs each as a
one-task Spark job: the executor that gets it runs the task command with the
input on stdin. The reply is {"id": N, "output": "<stdout>"} or {"id": N,
"error": "..."}. {"cancel": N} cancels request N's job. Requests run
concurrently (up to --parallel), so Spark spreads them over its executors
and retries a task whose executor is lost. When spotlake closes the socket
the driver finishes what it has and stops.

It is embedded in the spotlake binary and written next to the socket, so
nothing but Spark has to be installed where it runs.
"""
import argparse
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import SparkSession


def task_runner(command):
    """The function executors run: the task command, input on stdin."""

    def run(inputs):
        import subprocess

        for data in inputs:
            try:
                p = subprocess.run(command, input=data.encode("utf-8"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            except OSError as e:
                yield (-1, "", f"{command[0]}: {e} (is the spotlake binary at the same path on every node? spark.task_binary)")
                continue
            yield (p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")[-8000:])

    return run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--parallel", type=int, default=2)
    p.add_argument("--command", required=True, help="the task command, a JSON list")
    a = p.parse_args()

    spark = SparkSession.builder.appName("spotlake").getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    run = task_runner(json.loads(a.command))

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(a.socket)
    rf = sock.makefile("r", encoding="utf-8")
    wf = sock.makefile("w", encoding="utf-8")
    wlock = threading.Lock()

    def send(obj):
        with wlock:
            wf.write(json.dumps(obj) + "\n")
            wf.flush()

    def job(req):
        rid = req["id"]
        try:
            sc.setJobGroup(str(rid), f"spotlake task {rid}", interruptOnCancel=True)
            rc, out, err = sc.parallelize([req["input"]], 1).mapPartitions(run).collect()[0]
            if rc != 0:
                send({"id": rid, "error": f"task command exited with {rc}: {err.strip()[-4000:]}"})
            else:
                send({"id": rid, "output": out})
        except Exception as e:  # a Spark job failure: report it, keep serving
            msg = str(e).strip().splitlines()
            send({"id": rid, "error": "spark job failed: " + " | ".join(msg[:6])[:4000]})

    send({"ready": True, "app_id": sc.applicationId, "master": sc.master, "parallelism": sc.defaultParallelism})
    with ThreadPoolExecutor(max_workers=max(1, a.parallel)) as pool:
        for line in rf:
            req = json.loads(line)
            if "cancel" in req:
                sc.cancelJobGroup(str(req["cancel"]))
                continue
            pool.submit(job, req)
    spark.stop()


if __name__ == "__main__":
    main()
