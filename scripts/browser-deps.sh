#!/usr/bin/env bash
# Makes sure Debian's Chromium is present for the browser tests (grades/tests/test_browser.py).
# The tests drive /usr/bin/chromium through Playwright; Playwright's own browser download
# is not used, so `playwright install` is never needed.
# As root it installs the package with apt-get; otherwise it prints the command to run and fails.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  if [ -x "$CHROMIUM" ]; then
    echo "Chromium ready: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
  fi
  echo "$CHROMIUM is still missing after apt-get install chromium." >&2
  exit 1
fi

cat >&2 <<MSG
$CHROMIUM is missing; the browser tests need Debian's Chromium. Install it, then run the tests again:

    sudo apt-get update -qq && sudo apt-get install -y -qq chromium
MSG
exit 1
