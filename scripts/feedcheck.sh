#!/usr/bin/env bash
# scripts/feedcheck.sh [FEEDS_DIR] [check_feeds.sh options...]
#
# Validates the RSS and Atom files below FEEDS_DIR (default: feeds/) with the shared
# independent checker (xmllint, RFC 4287 schema, feedparser, newsboat, feed-rs), installing it
# on first use. The checker lives outside this repository (../shared/tools/feedcheck); where it
# is absent (a plain clone) the check is skipped with exit 0, so CI elsewhere does not fail.
#
# Only rss.xml and atom.xml are passed: opml.xml is a subscription list, not a feed, and the
# checker has no JSON Feed support (feed.json is covered by the unit tests).
# To check the publisher's sample feeds:
#   cargo test --lib publish::tests::sample -- --ignored && scripts/feedcheck.sh /tmp/agg-feedcheck
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOL="$ROOT/../shared/tools/feedcheck"
if [ ! -d "$TOOL" ]; then
  echo "feedcheck: skipped (no ../shared)"
  exit 0
fi
FEEDS_DIR="${1:-$ROOT/feeds}"
[ $# -gt 0 ] && shift
if [ ! -d "$FEEDS_DIR" ]; then
  echo "feedcheck: no such folder: $FEEDS_DIR" >&2
  exit 2
fi
HOME_DIR="${FEEDCHECK_HOME:-$HOME/.cache/feedcheck}"
if [ ! -x "${FEEDCHECK_PYTHON:-$HOME_DIR/venv/bin/python}" ]; then
  echo "feedcheck: installing the checker (once, about 80 s)" >&2
  bash "$TOOL/install.sh"
fi
exec "$TOOL/check_feeds.sh" "$FEEDS_DIR" --names rss.xml,atom.xml "$@"
