#!/usr/bin/env bash
# GraphQL benchmark: p50 and p99 of the subgraph's main queries (overview dashboard, recommended
# tutors, study plan) through the release host, against the metrics and recommend components'
# own routes on the same data in the same run, as a ratio (see bench/graphql/bench.mjs). The
# app holds the demo platform with its metrics and recommendations refreshed.
#   bench/graphql.sh [runs, default 200]   PRESET=small|standard (default standard)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup >/dev/null
cargo build --release --quiet -p host -p demo
scripts/build-components >/dev/null   # spin.toml names every app component, the dashboard's too
state=$(mktemp -d)
ln -s "$PWD/target/models/ai-models" "$state/ai-models"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret=a-benchmark-secret-of-at-least-32-bytes
target/release/spin-local up -f spin.toml --listen "127.0.0.1:$port" --state-dir "$state" \
  --variable ingest_api_key=bench-key --variable "jwt_secret=$secret" >/dev/null &
host=$!
trap 'kill -TERM $host 2>/dev/null; wait $host 2>/dev/null; rm -rf "$state"' EXIT
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do kill -0 $host; sleep 0.1; done
base="http://127.0.0.1:$port"
target/release/demo-platform --url "$base" --key bench-key --preset "${PRESET:-standard}" >/dev/null
token=$(SPIN_VARIABLE_JWT_SECRET=$secret target/release/dev-token --hours 1)
curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" "$base/metrics/refresh"
# The recommendations job embeds every profile and builds the indexes; each student's stored
# recommendation is made by its first request (the warm-up runs).
curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" "$base/recommendations/refresh"
# Students who set a goal, in a stable order, as the demo platform made them.
students=$(python3 - "$state/sqlite_db.db" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT DISTINCT user_id FROM analytics_events WHERE event_type = 'student_goal_set' ORDER BY user_id LIMIT 20")
print(",".join(r[0] for r in rows))
PY
)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
BASE_URL=$base TOKEN=$token STUDENTS=$students SUBJECT=Python RUNS=${1:-200} node bench/graphql/bench.mjs
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
