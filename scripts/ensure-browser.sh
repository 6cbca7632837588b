#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (playwright cannot download browsers here): find it,
# or install it when we may (root on a Debian-like machine), or stop at once saying what to install.
set -euo pipefail
browser="${WIRE_CHROMIUM:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = 0 ] && [ -z "${WIRE_NO_BROWSER_INSTALL:-}" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests (about 30 s) ..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$browser" ] && exit 0
fi
echo "make test needs Chromium at $browser for its browser tests: apt-get install chromium" >&2
exit 1
