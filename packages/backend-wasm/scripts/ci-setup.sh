#!/usr/bin/env bash
# System packages the wasm backend's tests need in CI: Debian's chromium for the headless-browser test
# (playwright-core drives it; no browser download).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends chromium
fi
