#!/usr/bin/env bash
# scripts/hugo-check.sh CONTENT_DIR...
#
# Builds the Markdown agg wrote (each CONTENT_DIR is a `paths.content` folder: one subfolder
# per source) into a Hugo site made from examples/hugo/ with the minimal layouts in
# examples/hugo/check/layouts, and fails on what a reader of the site would see wrong:
#   - any WARN or ERROR line from Hugo;
#   - fewer article pages than Markdown files (a page Hugo skipped, e.g. dated in the future
#     because its time zone was wrong);
#   - a literal `**` in an article page (emphasis CommonMark did not render);
#   - `-&ndash;` (a `---` paragraph mangled by the typographer).
# The site's timeZone is examples/hugo/hugo.toml's (Asia/Shanghai, like the demo's
# site.timezone); AGG_HUGO_TZ overrides it.
# Without a `hugo` binary the check is skipped (exit 0), except under CI=true.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -eq 0 ]; then
  echo "usage: $0 CONTENT_DIR..." >&2
  exit 2
fi
if ! command -v hugo >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "hugo-check: no hugo binary (apt-get install hugo)" >&2
    exit 1
  fi
  echo "hugo-check: skipped (no hugo binary)"
  exit 0
fi
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
cp -r "$ROOT/examples/hugo/." "$site/"
if [ -n "${AGG_HUGO_TZ:-}" ]; then
  sed -i "s|^timeZone = .*|timeZone = \"$AGG_HUGO_TZ\"|" "$site/hugo.toml"
fi
mkdir -p "$site/content/posts"
for dir in "$@"; do
  if [ ! -d "$dir" ]; then
    echo "hugo-check: no such folder: $dir" >&2
    exit 2
  fi
  cp -r "$dir/." "$site/content/posts/"
done
md_count=$(find "$site/content/posts" -name '*.md' | wc -l)
log="$site/hugo.log"
status=0
hugo --source "$site" --destination "$site/public" --layoutDir check/layouts \
  --printPathWarnings >"$log" 2>&1 || status=$?
cat "$log"
fail=0
if [ "$status" -ne 0 ]; then
  echo "hugo-check: hugo exited with $status" >&2
  fail=1
fi
if grep -E '^(WARN|ERROR)' "$log" >/dev/null; then
  echo "hugo-check: hugo printed warnings or errors (above)" >&2
  fail=1
fi
# Article pages: public/posts/{source}/{id}/index.html.
pages=$(find "$site/public/posts" -mindepth 3 -name index.html 2>/dev/null | wc -l)
echo "hugo-check: $md_count Markdown files, $pages article pages"
if [ "$pages" -lt "$md_count" ]; then
  echo "hugo-check: $((md_count - pages)) Markdown file(s) not built (future dates? timeZone?)" >&2
  fail=1
fi
if grep -rl --include=index.html -F '**' "$site/public/posts" >"$site/stars" 2>/dev/null; then
  echo "hugo-check: literal ** in rendered pages:" >&2
  while read -r f; do
    echo "  ${f#"$site/public/"}:" >&2
    grep -o '.\{0,30\}\*\*.\{0,30\}' "$f" | head -3 | sed 's/^/    /' >&2
  done <"$site/stars"
  fail=1
fi
if grep -rl --include=index.html -F -- '-&ndash;' "$site/public/posts" >/dev/null 2>&1; then
  echo "hugo-check: a dash mangled by the typographer (-&ndash;):" >&2
  grep -rl --include=index.html -F -- '-&ndash;' "$site/public/posts" >&2
  fail=1
fi
if [ "$fail" -ne 0 ]; then
  exit 1
fi
echo "hugo-check: ok"
