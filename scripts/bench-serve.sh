#!/usr/bin/env bash
# scripts/bench-serve.sh [DURATION] [CONNECTIONS] [THREADS]
#
# Benchmark, not a test: requests per second of `agg serve` (release build) against nginx
# serving the same feed file on loopback, with wrk, same duration, connections and threads
# (defaults: 10s, 64, 2). Prints both figures, their errors, and agg as a percentage of nginx
# (target: at least 70%, zero errors). Installs wrk and nginx with apt-get when missing.
#
# The feed file is the publisher's sample RSS feed (about 5 KB, the size of a small real
# feed). Both servers get the same shape of work: keep-alive, no gzip (wrk asks for none),
# nginx with sendfile, access log off and its default worker count.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${1:-10s}"
CONNECTIONS="${2:-64}"
THREADS="${3:-2}"

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  echo "bench-serve: installing wrk and nginx" >&2
  apt-get update -qq && apt-get install -y -qq wrk nginx >/dev/null
fi
(cd "$ROOT" && cargo build --release --quiet)
AGG="$ROOT/target/release/agg"

WORK="$(mktemp -d)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The sample feeds, written by the publisher's own (ignored) test.
(cd "$ROOT" && AGG_FEEDCHECK_OUT="$WORK/feeds" cargo test --release --quiet --lib \
  publish::tests::sample -- --ignored >/dev/null)
chmod -R a+rX "$WORK/feeds"
FILE=rss.xml

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# agg serve
cat >"$WORK/agg.yaml" <<EOF
site:
  title: "bench"
  base_url: "http://127.0.0.1/"
paths:
  feeds: "$WORK/feeds"
  content: "$WORK/content"
  state: "$WORK/state/agg.db"
EOF
"$AGG" -q serve --config "$WORK/agg.yaml" --listen 127.0.0.1:0 >"$WORK/agg.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q "http://" "$WORK/agg.out" && break; sleep 0.1; done
AGG_URL="$(sed -n 's/.* on \(http:[^ ]*\)$/\1/p' "$WORK/agg.out")$FILE"

# nginx, same file
NGINX_PORT="$(free_port)"
cat >"$WORK/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/rss+xml xml; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/feeds;
  }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK" &
PIDS+=($!)
NGINX_URL="http://127.0.0.1:$NGINX_PORT/$FILE"
for _ in $(seq 50); do curl -sf -o /dev/null "$NGINX_URL" && break; sleep 0.1; done

# Both must send the same bytes before their speed means anything.
cmp <(curl -sf "$AGG_URL") <(curl -sf "$NGINX_URL")

run() { # NAME URL -> "rps errors"
  local out
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$2" >"$WORK/$1.wrk" 2>&1
  out="$WORK/$1.wrk"
  local rps errors
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  errors="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {
    for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { v = $i; sub(",", "", v); n += v } }
    END {print n + 0}' "$out")"
  echo "$rps $errors"
}

wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$AGG_URL" >/dev/null # warm-up
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$NGINX_URL" >/dev/null
read -r AGG_RPS AGG_ERR < <(run agg "$AGG_URL")
read -r NGINX_RPS NGINX_ERR < <(run nginx "$NGINX_URL")
RATIO="$(python3 -c "print(f'{100 * $AGG_RPS / $NGINX_RPS:.1f}')")"
echo "file: $FILE ($(stat -c %s "$WORK/feeds/$FILE") bytes); wrk -t$THREADS -c$CONNECTIONS -d$DURATION on $(nproc) CPUs"
echo "agg serve: $AGG_RPS requests/s, $AGG_ERR errors"
echo "nginx:     $NGINX_RPS requests/s, $NGINX_ERR errors"
echo "agg/nginx: $RATIO%"
