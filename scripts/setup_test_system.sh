#!/usr/bin/env bash
# Install the system packages the browser tests need: Debian's Chromium (Playwright
# drives it through executable_path; nothing is downloaded by Playwright itself).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "setup-test: /usr/bin/chromium is missing; install Debian's 'chromium' package" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "setup-test: installing Debian chromium for the browser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
