#!/usr/bin/env bash
# Dashboard benchmark: time to a fully drawn overview tab and the bytes the page transfers, in
# Debian's Chromium, on the root app (release host) loaded with the standard demo platform
# (see bench/dashboard/bench.mjs).   bench/dashboard.sh [runs, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup --test >/dev/null
cargo build --release --quiet -p host -p demo
scripts/build-dashboard
cargo build --release --quiet --target wasm32-wasip2 -p track-event -p metrics-component -p graphql-component -p dashboard
state=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret=a-benchmark-secret-of-at-least-32-bytes
target/release/spin-local up -f spin.toml --listen "127.0.0.1:$port" --state-dir "$state" \
  --variable ingest_api_key=bench-key --variable "jwt_secret=$secret" >/dev/null &
host=$!
trap 'kill -TERM $host 2>/dev/null; wait $host 2>/dev/null; rm -rf "$state"' EXIT
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do kill -0 $host; sleep 0.1; done
target/release/demo-platform --url "http://127.0.0.1:$port" --key bench-key --preset standard >/dev/null
token=$(SPIN_VARIABLE_JWT_SECRET=$secret target/release/dev-token --hours 1)
curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics/refresh"
BASE_URL="http://127.0.0.1:$port" JWT_SECRET=$secret RUNS=${1:-15} node bench/dashboard/bench.mjs
