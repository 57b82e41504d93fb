#!/usr/bin/env bash
# Install the system packages the tests and the production mode need, from Debian's packages:
# Chromium for the browser tests (Playwright drives it through executable_path; nothing is
# downloaded by Playwright itself) and HAProxy, the load balancer in front of the Rasa workers
# (`make serve`, tests/scale/test_behind_haproxy.py). Skipped when both are present.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "setup-test: missing Debian packages: ${missing[*]}; install them" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "setup-test: installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
