#!/usr/bin/env bash
# Recommendations benchmark: stored reads, on-demand generation and regeneration through
# HTTP, spin-local and the release recommend component, index build time, and the index
# against exact brute-force search over the same vectors (see bench/recommend/src/main.rs).
#   bench/recommend.sh [recommend-bench options]     e.g. --students 20000 --on-demand 100
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p host -p bench-recommend
cargo build --release --quiet --target wasm32-wasip2 -p recommend-component
exec target/release/recommend-bench --host target/release/spin-local --manifest bench/recommend/spin.toml "$@"
