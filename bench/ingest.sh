#!/usr/bin/env bash
# Ingestion benchmark: events/s through HTTP, spin-local, track-event and libSQL, against a
# native program inserting the same rows into the same kind of libSQL file in the same
# transactions, for batches of 1, 100 and 1000 (see bench/ingest/src/main.rs).
#   bench/ingest.sh [ingest-bench options]     e.g. --batches 100 --events 20000
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p host -p bench-ingest
cargo build --release --quiet --target wasm32-wasip2 -p track-event
exec target/release/ingest-bench --host target/release/spin-local --manifest spin.toml "$@"
