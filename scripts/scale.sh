#!/usr/bin/env bash
# The console's cost to Prometheus as the estate grows: a real Prometheus on loopback scraping N jobs (all
# of one steady exporter, each job a service), the release console against it through PROMETHEUS_URL
# with the default 5 s refresh, in a tmux pane, for DURATION seconds (default 60).
#
#   scripts/scale.sh N [N ...]      e.g. scripts/scale.sh 10 100 1000
#
# Prints, per N: queries per refresh (from Prometheus's own prometheus_http_requests_total), the most
# connections the console held to Prometheus at once, CPU of the console and of Prometheus (% of one
# core), the console's RSS, the time until every row on screen showed data, and how often Prometheus's
# /-/ready failed to answer within 1 s.
#
# QUERY_LOG=DIR keeps Prometheus's query log of each run as DIR/queries-N.json (one JSON line per query).
#
# ENVIRONMENTS=K (default 1) runs the console on a config of K environments, all on this Prometheus
# (services found from `up`): the first open, the others read by their own summary tasks — what the
# Environments screen costs a Prometheus as environments are added.
#
# CALENDAR=1 gives every service a calendar SLO (`[slo] calendar`, every day 00:00-23:59 UTC, so it
# counts at any hour the script runs): the calendar's two range queries, hourly over the SLO window and
# every five minutes over six hours, asked for all services at once.
#
# Needs: prometheus, curl, tmux, python3, ss (iproute2).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60}
REFRESH=5
[ $# -gt 0 ] || set -- 10 100 1000
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
# WATCHPOST_BIN runs a binary built already (the release build takes minutes on two cores).
if [ -z "${WATCHPOST_BIN:-}" ]; then cargo build --release --locked -q; fi
bin=${WATCHPOST_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/watchpost}

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
past() { awk -v t="$(date +%s.%N)" -v e="$1" 'BEGIN { exit !(t >= e) }'; } # is it later than $1 (epoch s)?
served() { # queries Prometheus has answered (instant and range), from its own /metrics
  curl -sf "http://127.0.0.1:$1/metrics" |
    awk '/^prometheus_http_requests_total\{/ && /handler="\/api\/v1\/query(_range)?"/ { n += $NF } END { print n + 0 }'
}

printf '%-6s %10s %10s %9s %9s %9s %10s %10s\n' N "q/refresh" "peak conn" "cpu con" "cpu prom" "rss MiB" "rows full" "ready>1s"
for n in "$@"; do
  work=$(mktemp -d)
  session=watchpost-scale-$$-$n
  pids=()
  cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
  }
  trap cleanup EXIT
  ep=$(port); pp=$(port)
  # A steady exporter: counters that grow at fixed rates, so every figure has a value.
  cat >"$work/exporter.py" <<'PY'
import http.server, sys, time
T0 = time.time()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        t = time.time() - T0 + 1000
        b = [("0.05", 0.5), ("0.1", 0.8), ("0.25", 0.97), ("0.5", 0.99), ("+Inf", 1.0)]
        lines = ['http_requests_total{code="200"} %f' % (t * 10), 'http_requests_total{code="500"} %f' % (t * 0.01)]
        lines += ['http_request_duration_seconds_bucket{le="%s"} %f' % (le, t * 10 * f) for le, f in b]
        lines += ["http_request_duration_seconds_count %f" % (t * 10), "process_cpu_seconds_total %f" % (t * 0.02)]
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200); self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
  python3 "$work/exporter.py" "$ep" & pids+=($!)
  {
    echo "global: {scrape_interval: 5s${QUERY_LOG:+, query_log_file: $work/queries.json}}"
    echo "scrape_configs:"
    for i in $(seq 1 "$n"); do
      echo "  - {job_name: svc-$i, static_configs: [{targets: ['127.0.0.1:$ep']}]}"
    done
  } >"$work/prometheus.yml"
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address=127.0.0.1:$pp >"$work/prom.log" 2>&1 & pids+=($!)
  prom=$!
  until curl -sf "http://127.0.0.1:$pp/-/ready" >/dev/null; do sleep 0.2; done
  # Every job scraped twice, so each service has a rate: the time to fill the rows is the console's, not
  # a fresh Prometheus's warm-up.
  until [ "$(curl -sf "http://127.0.0.1:$pp/api/v1/query" \
    --data-urlencode 'query=count(count_over_time(http_requests_total{code="200"}[1m]) >= 2)' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')" = "$n" ]; do
    sleep 0.5
  done

  if [ "${ENVIRONMENTS:-1}" -gt 1 ] || [ -n "${CALENDAR:-}" ]; then
    {
      if [ -n "${CALENDAR:-}" ]; then
        printf '[slo]\ncalendar = { timezone = "UTC", days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], hours = "00:00-23:59" }\n\n'
      fi
      if [ "${ENVIRONMENTS:-1}" -gt 1 ]; then
        for k in $(seq 1 "$ENVIRONMENTS"); do
          printf '[[environments]]\nname = "env-%s"\nprometheus = { url = "http://127.0.0.1:%s" }\n\n' "$k" "$pp"
        done
      else
        printf '[prometheus]\nurl = "http://127.0.0.1:%s"\n' "$pp"
      fi
    } >"$work/config.toml"
    run="env HOME=$work XDG_STATE_HOME=$work $bin --config $work/config.toml"
  else
    run="env HOME=$work XDG_STATE_HOME=$work PROMETHEUS_URL=http://127.0.0.1:$pp $bin"
  fi
  tmux new-session -d -s "$session" -x 120 -y 40 "$run"
  start=$(date +%s.%N)
  con=""
  until [ -n "$con" ]; do con=$(pgrep -f "^$bin( --config .*)?\$" -n || true); sleep 0.05; done
  # Queries are counted over whole rounds: from just before the second round (the first one, with its
  # discovery and retries, is the start-up) to just before the round after the last, an even number of
  # refreshes so the slow lanes weigh the same at every N.
  rounds=$((DURATION / REFRESH / 2 * 2)); [ "$rounds" -ge 2 ] || rounds=2
  from=$(awk -v a="$start" -v r="$REFRESH" 'BEGIN{printf "%.3f", a + r - 0.5}')
  to=$(awk -v a="$from" -v r="$REFRESH" -v k="$rounds" 'BEGIN{printf "%.3f", a + k * r}')
  last=$(awk -v e="$to" 'BEGIN{printf "%.3f", e - 0.3}') # the last sample leaves time to reach $to
  q0="" c0=$(cpu "$con"); p0=$(cpu "$prom"); t0=$(date +%s.%N)
  peak=0 full="" notready=0 next_ready=0
  while ! past "$last"; do
    if [ -z "$q0" ] && past "$from"; then q0=$(served "$pp"); fi
    c=$(ss -tnp state established "( dport = :$pp )" 2>/dev/null | grep -c "pid=$con," || true)
    [ "$c" -gt "$peak" ] && peak=$c
    if [ -z "$full" ]; then
      # Every service row on screen has its rate and availability (no "—" left in a row of svc-*).
      screen=$(tmux capture-pane -p -t "$session")
      rows=$(grep -c ' svc-' <<<"$screen" || true)
      empty=$(grep ' svc-' <<<"$screen" | grep -c '—' || true)
      if [ "$rows" -gt 0 ] && [ "$empty" -eq 0 ]; then full=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'); fi
    fi
    if [ "$(date +%s)" -ge "$next_ready" ]; then
      curl -sf -m 1 "http://127.0.0.1:$pp/-/ready" >/dev/null || notready=$((notready + 1))
      next_ready=$(($(date +%s) + 1))
    fi
    sleep 0.2
  done
  sleep "$(awk -v t="$(date +%s.%N)" -v e="$to" 'BEGIN{d = e - t; if (d < 0) d = 0; printf "%.3f", d}')"
  q1=$(served "$pp"); c1=$(cpu "$con"); p1=$(cpu "$prom"); t1=$(date +%s.%N)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$con/status")
  if [ -n "${QUERY_LOG:-}" ]; then mkdir -p "$QUERY_LOG" && cp "$work/queries.json" "$QUERY_LOG/queries-$n.json"; fi
  tmux send-keys -t "$session" q
  awk -v n="$n" -v q0="$q0" -v q1="$q1" -v c0="$c0" -v c1="$c1" -v p0="$p0" -v p1="$p1" -v hz="$hz" \
      -v t0="$t0" -v t1="$t1" -v k="$rounds" -v peak="$peak" -v rss="$rss" -v full="${full:-never}" \
      -v nr="$notready" 'BEGIN {
    el = t1 - t0
    printf "%-6d %10.1f %10d %8.2f%% %8.2f%% %9.1f %10s %10d\n", n, (q1 - q0) / k, peak,
      (c1 - c0) / hz / el * 100, (p1 - p0) / hz / el * 100, rss / 1024, full, nr
  }'
  cleanup
  trap - EXIT
done
