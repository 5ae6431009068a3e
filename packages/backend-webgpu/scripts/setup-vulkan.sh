#!/usr/bin/env bash
# Software WebGPU for the backend-webgpu tests on a fresh Debian 12 machine (CI or a developer's):
# Debian's chromium ships SwiftShader's Vulkan ICD (used by Dawn in Node through VK_ICD_FILENAMES)
# and is the headless browser of the Chromium test; libvulkan1 is the Vulkan loader Dawn opens.
# Debian 12's own lavapipe (mesa 22) gives no WebGPU adapter, so it is not used. Idempotent: installs
# only what is missing. Prints the variables to export; `source` it to get them set.
set -euo pipefail

ICD=/usr/lib/chromium/vk_swiftshader_icd.json
CHROMIUM=/usr/bin/chromium

if [ ! -f "$ICD" ] || [ ! -x "$CHROMIUM" ] || ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium libvulkan1
fi

export VK_ICD_FILENAMES="$ICD"
export CHROMIUM_PATH="$CHROMIUM"
echo "VK_ICD_FILENAMES=$VK_ICD_FILENAMES"
echo "CHROMIUM_PATH=$CHROMIUM_PATH"
