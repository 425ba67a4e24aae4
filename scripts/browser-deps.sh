#!/usr/bin/env bash
# The browser the UI tests drive: Debian's chromium at /usr/bin/chromium (Playwright's own
# browser downloads need the internet; the distribution's package does not).
#
# Installs it only where it is missing and apt-get is usable (root, or passwordless sudo).
# Never fails the build: where no browser can be installed, the browser tests skip and say why.
set -u

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser-deps: no apt-get here; the browser tests will be skipped" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "browser-deps: installing chromium needs root (or passwordless sudo); the browser tests will be skipped" >&2
  exit 0
fi
LIMIT=""
if command -v timeout >/dev/null 2>&1; then
  LIMIT="timeout 900"
fi

echo "browser-deps: installing chromium with apt-get (once; a few minutes)..." >&2
if $LIMIT $SUDO apt-get update -qq >&2 \
  && DEBIAN_FRONTEND=noninteractive $LIMIT $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >&2; then
  echo "browser-deps: chromium installed at /usr/bin/chromium" >&2
else
  echo "browser-deps: could not install chromium; the browser tests will be skipped" >&2
fi
exit 0
