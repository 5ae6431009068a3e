#!/usr/bin/env bash
# CI setup for web-demo's end-to-end tests: Debian's Chromium (playwright-core drives it; nothing is
# downloaded by npm). Run as root on the CI machine before `pnpm test`.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium present: $(/usr/bin/chromium --version)"
  exit 0
fi
apt-get update
apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
