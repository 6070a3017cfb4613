#!/bin/bash
# spotlake's EMR bootstrap action; it runs on every node as the hadoop user.
#   bootstrap.sh BINARY_S3_URL CONFIG_S3_URL [--serve]
# installs the spotlake binary as /usr/local/bin/spotlake and the run's config
# as /etc/spotlake/spotlake.yaml. With --serve (the viz role) it also starts
# `spotlake serve` on the master node only, under systemd (nohup without it).
# Nothing secret is passed here: the dashboard token is read at start from
# the environment variable the config names, provisioned out of band.
# SPOTLAKE_ROOT (tests only) puts every path under another folder.
set -euo pipefail
ROOT=${SPOTLAKE_ROOT:-}
PAUSE=${SPOTLAKE_RETRY_PAUSE:-3}

if [ $# -lt 2 ]; then
  echo "usage: $0 BINARY_S3_URL CONFIG_S3_URL [--serve]" >&2
  exit 2
fi
BIN_URL=$1
CFG_URL=$2
SERVE=${3:-}

retry() { # retry CMD...: S3 can be briefly unavailable while a node boots
  local n=0
  until "$@"; do
    n=$((n + 1))
    if [ "$n" -ge 5 ]; then
      echo "spotlake bootstrap: failed after $n tries: $*" >&2
      return 1
    fi
    sleep $((n * PAUSE))
  done
}

tmp=$(mktemp -d)
retry aws s3 cp --only-show-errors "$BIN_URL" "$tmp/spotlake"
retry aws s3 cp --only-show-errors "$CFG_URL" "$tmp/spotlake.yaml"
sudo mkdir -p "$ROOT/usr/local/bin" "$ROOT/etc/spotlake"
sudo install -m 0755 "$tmp/spotlake" "$ROOT/usr/local/bin/spotlake"
sudo install -m 0644 "$tmp/spotlake.yaml" "$ROOT/etc/spotlake/spotlake.yaml"
rm -rf "$tmp"
# State, cache and logs (the config's state: and cache: folders live here in
# examples/aws.yaml), writable by the user steps run as, on every node.
sudo mkdir -p "$ROOT/var/lib/spotlake" "$ROOT/var/log/spotlake"
sudo chown "$(id -u):$(id -g)" "$ROOT/var/lib/spotlake" "$ROOT/var/log/spotlake"

if [ "$SERVE" != "--serve" ]; then
  exit 0
fi

# Only the master serves the dashboard.
if ! grep -q '"isMaster": *true' "$ROOT/mnt/var/lib/info/instance.json" 2>/dev/null; then
  exit 0
fi

# Bootstrap actions run before the cluster's applications are up; the server
# only needs the binary, its config and S3, so it can start now.
if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  sudo tee /etc/systemd/system/spotlake-serve.service >/dev/null <<UNIT
[Unit]
Description=spotlake dashboard
After=network-online.target
Wants=network-online.target

[Service]
User=$(id -un)
EnvironmentFile=-/etc/spotlake/serve.env
ExecStart=/usr/local/bin/spotlake --config /etc/spotlake/spotlake.yaml serve
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
  sudo systemctl daemon-reload
  sudo systemctl enable --now spotlake-serve.service
else
  nohup "$ROOT/usr/local/bin/spotlake" --config "$ROOT/etc/spotlake/spotlake.yaml" serve \
    >>"$ROOT/var/log/spotlake/serve.log" 2>&1 </dev/null &
fi
