#!/usr/bin/env bash
# Browser tests of the web widget (tests/browser/): Debian's chromium driven by playwright-core,
# axe-core for accessibility. Installs what they need on a fresh machine (CI runs as root and
# reaches only the package registries: never a browser download), starts a fresh stack on free
# ports (tests/browser/with_stack.py) and runs them with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-/tmp/webchat-screenshots}"

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "Installing Debian's chromium and chromium-driver..."
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# playwright-core brings no browser of its own; the lock file pins every package.
npm ci --no-audit --no-fund --loglevel=error

"$VENV/bin/python" -m tests.browser.with_stack -- \
  node --test --test-concurrency=1 tests/browser/widget.test.mjs tests/browser/console.test.mjs \
    tests/browser/calendar.test.mjs tests/browser/visio.test.mjs
