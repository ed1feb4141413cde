#!/usr/bin/env bash
# Host benchmark: requests/s and latency of a trivial spin-sdk 7 route through `spin-local`,
# against a native hyper server answering the same bytes, at 1 and 64 connections, in one run.
#   bench/host.sh [SECONDS]      (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null); }
scripts/setup
cargo build --release --quiet -p host -p bench-host
cargo build --release --quiet --target wasm32-wasip2 -p bench-hello

state=$(mktemp -d)
target/release/spin-local up -f bench/components/spin.toml --listen 127.0.0.1:3101 --state-dir "$state" >/dev/null &
hostpid=$!
target/release/native-hello 127.0.0.1:3100 >/dev/null &
nativepid=$!
trap 'kill $hostpid $nativepid 2>/dev/null; rm -rf "$state"' EXIT
for port in 3100 3101; do
  for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done
curl -sf http://127.0.0.1:3101/hello >/dev/null
curl -sf http://127.0.0.1:3100/hello >/dev/null

run() { # name url connections -> "rps p50 p99"
  local out
  out=$(wrk -t "$([ "$3" = 1 ] && echo 1 || echo 2)" -c "$3" -d "${secs}s" --latency "$2")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  p50=$(awk '$1=="50%"{print $2}' <<<"$out")
  p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  echo "$rps $p50 $p99"
}
printf '| connections | server | requests/s | p50 | p99 |\n|---|---|---|---|---|\n'
for c in 1 64; do
  # Warm both, then measure.
  wrk -t1 -c"$c" -d2s http://127.0.0.1:3101/hello >/dev/null
  read -r hr hp50 hp99 < <(run host http://127.0.0.1:3101/hello "$c")
  read -r nr np50 np99 < <(run native http://127.0.0.1:3100/hello "$c")
  printf '| %s | spin-local | %s | %s | %s |\n' "$c" "$hr" "$hp50" "$hp99"
  printf '| %s | native hyper | %s | %s | %s |\n' "$c" "$nr" "$np50" "$np99"
  printf '| %s | **ratio host/native** | **%.3f** | | |\n' "$c" "$(echo "$hr / $nr" | bc -l)"
done
