#!/usr/bin/env bash
# recreate-viz.sh — replace the visualization server without downtime.
#
#   recreate-viz.sh CONFIG
#
# Starts a new dashboard server with the current config and binary, waits
# until its hot cache is loaded and healthy, moves traffic to it and stops
# the old one; the address never refuses a connection. With no server
# running it starts one. If the new server does not become healthy, the old
# one keeps serving and the script exits non-zero with the new server's log.
set -euo pipefail
config=${1:?usage: recreate-viz.sh /path/to/spotlake.yaml}
here=$(cd "$(dirname "$0")/.." && pwd)
spotlake=${SPOTLAKE:-$here/bin/spotlake}
if [ ! -x "$spotlake" ]; then
  echo "recreate-viz.sh: $spotlake not found; build it with 'make build' in $here or set SPOTLAKE" >&2
  exit 1
fi
"$spotlake" --config "$config" cluster recreate viz
"$spotlake" --config "$config" cluster status viz
