#!/usr/bin/env bash
# scripts/feedcheck-serve.sh [FEEDS_DIR] [check_feeds.sh options...]
#
# Serves FEEDS_DIR (default: feeds/) with `agg serve` on a free loopback port and runs the
# shared feed checker against the served URLs with --conditional: besides every check of
# scripts/feedcheck.sh, the newsboat reader must get 304 Not Modified once it holds the
# validators agg sent. Skipped (exit 0) where ../shared/tools/feedcheck is absent.
#   cargo test --lib publish::tests::sample -- --ignored && scripts/feedcheck-serve.sh /tmp/agg-feedcheck
# AGG=path/to/agg picks the binary (default: target/debug/agg, built when missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOL="$ROOT/../shared/tools/feedcheck"
if [ ! -d "$TOOL" ]; then
  echo "feedcheck-serve: skipped (no ../shared)"
  exit 0
fi
FEEDS_DIR="$(cd "${1:-$ROOT/feeds}" && pwd)"
[ $# -gt 0 ] && shift
HOME_DIR="${FEEDCHECK_HOME:-$HOME/.cache/feedcheck}"
if [ ! -x "${FEEDCHECK_PYTHON:-$HOME_DIR/venv/bin/python}" ]; then
  echo "feedcheck-serve: installing the checker (once, about 80 s)" >&2
  bash "$TOOL/install.sh"
fi
AGG="${AGG:-$ROOT/target/debug/agg}"
[ -x "$AGG" ] || (cd "$ROOT" && cargo build --quiet)

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
cat >"$WORK/agg.yaml" <<EOF
site:
  title: "feedcheck"
  base_url: "http://127.0.0.1/"
paths:
  feeds: "$FEEDS_DIR"
  content: "$WORK/content"
  state: "$WORK/state/agg.db"
EOF
"$AGG" -q serve --config "$WORK/agg.yaml" --listen 127.0.0.1:0 >"$WORK/out" 2>"$WORK/err" &
SERVER_PID=$!
for _ in $(seq 100); do
  grep -q "http://" "$WORK/out" 2>/dev/null && break
  sleep 0.1
done
BASE="$(sed -n 's/.* on \(http:[^ ]*\)$/\1/p' "$WORK/out")"
if [ -z "$BASE" ]; then
  echo "feedcheck-serve: agg serve did not start:" >&2
  cat "$WORK/err" >&2
  exit 2
fi
# One URL per feed file, non-ASCII slugs percent-encoded.
(cd "$FEEDS_DIR" && find . -type f \( -name rss.xml -o -name atom.xml \) | sort) |
  python3 -c 'import sys, urllib.parse
base = sys.argv[1]
for line in sys.stdin:
    print(base + urllib.parse.quote(line.strip()[2:]))' "$BASE" >"$WORK/urls.txt"
echo "feedcheck-serve: $(wc -l <"$WORK/urls.txt") feeds served at $BASE"
set +e
"$TOOL/check_feeds.sh" "$WORK/urls.txt" --conditional "$@"
status=$?
set -e
exit $status
