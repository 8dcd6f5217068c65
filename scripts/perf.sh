#!/usr/bin/env bash
# Idle cost of the console, measured as a user runs it: the release binary in a tmux pane through
# `script` (which records every byte written to the terminal), against a steady source — a real
# Prometheus scraping a node_exporter on loopback — with a 1 s refresh.
#
# Prints: time to first frame, CPU % of one core, RSS, bytes written to the terminal per second and the
# console's page faults, over DURATION seconds (default 30) after WARMUP seconds (default 30). Idle cost is
# measured in the steady state: in its first half-minute the console hands its start-up code back to the
# kernel (src/memory.rs) and pages back in, one fault at a time, what it runs at idle, and asks for the
# jobs and sparklines for the first time. `WARMUP=5` measures that first stretch instead.
#
# `scripts/perf.sh --vs` runs grafatui (`cargo install grafatui`; it is not a dependency) beside it on the
# same Prometheus, in the same run and at the same size, and prints both with their ratios.
#
# Needs: tmux, script (util-linux), prometheus, prometheus-node-exporter (scripts/test.sh installs the last
# two; this script installs tmux if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-30}
vs=false
[ "${1:-}" = "--vs" ] && vs=true
peer=${GRAFATUI:-$(command -v grafatui || echo "$HOME/.cargo/bin/grafatui")}
$vs && [ ! -x "$peer" ] && { echo "--vs needs grafatui: cargo install grafatui --version 0.1.18" >&2; exit 2; }
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }

# WATCHPOST_BIN runs a binary built already (the release build takes minutes on two cores).
if [ -z "${WATCHPOST_BIN:-}" ]; then cargo build --release --locked -q; fi
bin=${WATCHPOST_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/watchpost}
work=$(mktemp -d)
session=watchpost-perf-$$
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  tmux kill-session -t "$session-vs" 2>/dev/null || true
  # grafatui outlives its pane and spins on the closed terminal: it goes by its pid.
  kill "${pids[@]}" ${vpid:-} 2>/dev/null || true
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

# launch SESSION TYPESCRIPT PATTERN CMD: start CMD in a 120x40 tmux pane through `script`; prints the
# milliseconds to its first frame in $ms and its pid in $pid.
launch() {
  local sess=$1 ts=$2 pattern=$3 cmd=$4 start first
  pid=""
  : >"$ts"
  start=$(date +%s.%N)
  tmux new-session -d -s "$sess" -x 120 -y 40 "script -q -f -c '$cmd' $ts"
  until [ -s "$ts" ]; do sleep 0.005; done
  until grep -q "$pattern" "$ts" 2>/dev/null; do sleep 0.005; done
  first=$(date +%s.%N)
  pid=""
  until [ -n "$pid" ]; do pid=$(pgrep -f "^$5" | head -1 || true); sleep 0.05; done
  ms=$(awk -v s="$start" -v f="$first" 'BEGIN { printf "%.0f", (f - s) * 1000 }')
}

ts=$work/typescript
launch "$session" "$ts" watchpost "env XDG_STATE_HOME=$work $bin --config $work/config.toml" "$bin --config $work/config.toml"
first=$ms wpid=$pid
if $vs; then
  vts=$work/typescript-vs
  launch "$session-vs" "$vts" "[A-Za-z]" "$peer --prometheus-url http://127.0.0.1:$pp" "$peer --prometheus-url"
  vfirst=$ms vpid=$pid
fi

sleep "$WARMUP"
# CPU time in nanoseconds, summed over the process's threads from the scheduler's own accounting
# (/proc/PID/task/*/schedstat): /proc/PID/stat counts 10 ms ticks, and an idle console uses a few of
# them in 30 s, too few to compare two programs by.
cpu() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ns += $1} END {printf "%.0f", ns}'; }
# Minor and major page faults (/proc/PID/stat fields 10 and 12).
faults() { awk '{print $10 + $12, $12}' /proc/"$1"/stat; }
c0=$(cpu "$wpid"); b0=$(stat -c %s "$ts"); read -r fa0 fm0 < <(faults "$wpid")
if $vs; then vc0=$(cpu "$vpid"); vb0=$(stat -c %s "$vts"); fi
t0=$(date +%s.%N)
sleep "$DURATION"
c1=$(cpu "$wpid"); b1=$(stat -c %s "$ts"); read -r fa1 fm1 < <(faults "$wpid")
if $vs; then vc1=$(cpu "$vpid"); vb1=$(stat -c %s "$vts"); fi
t1=$(date +%s.%N)
kb() { awk "/$2/ {print \$2}" "/proc/$1/status"; }
rss=$(kb "$wpid" VmRSS); hwm=$(kb "$wpid" VmHWM)
if $vs; then vrss=$(kb "$vpid" VmRSS); vhwm=$(kb "$vpid" VmHWM); fi
tmux send-keys -t "$session" q

report() { # name first c0 c1 b0 b1 rss hwm
  awk -v n="$1" -v f="$2" -v c0="$3" -v c1="$4" -v b0="$5" -v b1="$6" -v rss="$7" -v hwm="$8" \
      -v t0="$t0" -v t1="$t1" 'BEGIN {
    el = t1 - t0
    printf "%s\n", n
    printf "  time to first frame   %.0f ms\n", f
    printf "  CPU (1 s refresh)     %.3f %% of one core over %.0f s\n", (c1 - c0) / 1e9 / el * 100, el
    printf "  RSS                   %.1f MiB (peak %.1f MiB)\n", rss / 1024, hwm / 1024
    printf "  terminal output       %.0f bytes/s\n", (b1 - b0) / el
  }'
}
report watchpost "$first" "$c0" "$c1" "$b0" "$b1" "$rss" "$hwm"
echo "  page faults           $((fa1 - fa0)) ($((fm1 - fm0)) major) over the run, after ${WARMUP} s"
if $vs; then
  report grafatui "$vfirst" "$vc0" "$vc1" "$vb0" "$vb1" "$vrss" "$vhwm"
  awk -v c="$((c1 - c0))" -v vc="$((vc1 - vc0))" -v b="$((b1 - b0))" -v vb="$((vb1 - vb0))" \
      -v r="$rss" -v vr="$vrss" 'BEGIN {
    printf "watchpost / grafatui: RSS %.2f×, CPU %s, bytes %s\n", r / vr,
      (vc > 0 ? sprintf("%.2f×", c / vc) : "— (grafatui used none)"),
      (vb > 0 ? sprintf("%.2f×", b / vb) : "—")
  }'
fi
