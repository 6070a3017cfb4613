#!/usr/bin/env bash
# daily.sh — what the system crontab line (`spotlake schedule crontab`) calls.
#
#   daily.sh CONFIG        runs the daily pipeline for the scheduled day
#
# It waits for a run still in progress instead of starting a second one, and
# exits with spotlake's exit code (0 only when every stage succeeded), so cron
# mail or a wrapper can alert on failure.
set -euo pipefail
config=${1:?usage: daily.sh /path/to/spotlake.yaml}
here=$(cd "$(dirname "$0")/.." && pwd)
spotlake=${SPOTLAKE:-$here/bin/spotlake}
if [ ! -x "$spotlake" ]; then
  echo "daily.sh: $spotlake not found; build it with 'make build' in $here or set SPOTLAKE" >&2
  exit 1
fi
echo "$(date -u +%FT%TZ) daily run starting (config $config)"
status=0
"$spotlake" --config "$config" run --wait --json || status=$?
echo "$(date -u +%FT%TZ) daily run finished with exit code $status"
exit "$status"
