#!/usr/bin/env bash
# Idle cost of the console, measured as a user runs it: the release binary in a tmux pane through
# `script` (which records every byte written to the terminal), against a steady source — a real
# Prometheus scraping a node_exporter on loopback — with a 1 s refresh.
#
# Prints: time to first frame, CPU % of one core, RSS, and bytes written to the terminal per second,
# over DURATION seconds (default 30) after a 5 s warm-up.
#
# Needs: tmux, script (util-linux), prometheus, prometheus-node-exporter (scripts/test.sh installs the last
# two; this script installs tmux if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-30}
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }

cargo build --release --locked -q
bin=$PWD/target/release/watchpost
work=$(mktemp -d)
session=watchpost-perf-$$
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  kill "${pids[@]}" 2>/dev/null || true
  rm -rf "$work"
}
pids=()
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
np=$(port); pp=$(port)
prometheus-node-exporter --web.listen-address=127.0.0.1:$np >/dev/null 2>&1 & pids+=($!)
cat >"$work/prometheus.yml" <<YML
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$np']}]
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:$pp']}]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address=127.0.0.1:$pp >/dev/null 2>&1 & pids+=($!)
until curl -sf "http://127.0.0.1:$pp/-/ready" >/dev/null; do sleep 0.2; done
sleep 3

cat >"$work/config.toml" <<TOML
estate = "perf"
refresh = "1s"
[prometheus]
url = "http://127.0.0.1:$pp"
TOML

ts=$work/typescript
: >"$ts"
start=$(date +%s.%N)
tmux new-session -d -s "$session" -x 120 -y 40 \
  "script -q -f -c 'env XDG_STATE_HOME=$work $bin --config $work/config.toml' $ts"
# First frame: the header is on the screen.
until grep -q "watchpost" "$ts" 2>/dev/null; do sleep 0.005; done
first=$(date +%s.%N)
pid=""
until [ -n "$pid" ]; do pid=$(pgrep -f "^$bin --config $work/config.toml" | head -1 || true); sleep 0.05; done

sleep 5
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$pid/stat"; }
c0=$(cpu); b0=$(stat -c %s "$ts"); t0=$(date +%s.%N)
sleep "$DURATION"
c1=$(cpu); b1=$(stat -c %s "$ts"); t1=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
tmux send-keys -t "$session" q

awk -v s="$start" -v f="$first" -v c0="$c0" -v c1="$c1" -v hz="$ticks" -v t0="$t0" -v t1="$t1" \
    -v b0="$b0" -v b1="$b1" -v rss="$rss" -v hwm="$hwm" 'BEGIN {
  el = t1 - t0
  printf "time to first frame   %.0f ms\n", (f - s) * 1000
  printf "CPU (1 s refresh)     %.2f %% of one core over %.0f s\n", (c1 - c0) / hz / el * 100, el
  printf "RSS                   %.1f MiB (peak %.1f MiB)\n", rss / 1024, hwm / 1024
  printf "terminal output       %.0f bytes/s\n", (b1 - b0) / el
}'
