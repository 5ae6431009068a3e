#!/usr/bin/env bash
# Software WebGPU for the backend-webgpu tests on a fresh Debian 12 machine (CI or a developer's).
#   - chromium: the headless browser of the Chromium test, and it ships SwiftShader's Vulkan ICD;
#   - libvulkan1: the Vulkan loader Dawn (the `webgpu` package) opens in Node;
#   - lavapipe 25 from bookworm-backports (~20× faster compute than SwiftShader; Debian 12's own
#     lavapipe 22 gives no WebGPU adapter), downloaded with a private apt source list and unpacked into
#     packages/backend-webgpu/.vulkan/ (git-ignored); its libraries come from bookworm's
#     mesa-vulkan-drivers dependencies. If that download fails, SwiftShader is used.
# Idempotent: installs only what is missing. `source` it to export VK_ICD_FILENAMES, CHROMIUM_PATH and
# MESA_SHADER_CACHE_DIR (vitest.config.ts finds the same ICD on its own).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VK="$HERE/.vulkan"
SWIFTSHADER=/usr/lib/chromium/vk_swiftshader_icd.json
CHROMIUM=/usr/bin/chromium
LAVAPIPE="$VK/lvp_icd.json"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive

if [ ! -f "$SWIFTSHADER" ] || [ ! -x "$CHROMIUM" ] || ! dpkg -s mesa-vulkan-drivers >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium libvulkan1 mesa-vulkan-drivers
fi

if [ ! -f "$LAVAPIPE" ]; then
  (
    set -e
    mkdir -p "$VK/apt/lists/partial" "$VK/apt/cache/archives/partial" "$VK/root"
    echo "deb http://deb.debian.org/debian bookworm-backports main" > "$VK/apt/sources.list"
    APT=(-o "Dir::Etc::SourceList=$VK/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
         -o "Dir::State::Lists=$VK/apt/lists" -o "Dir::Cache=$VK/apt/cache" -o APT::Sandbox::User=root)
    apt-get "${APT[@]}" update -qq
    cd "$VK"
    rm -f mesa-vulkan-drivers_*.deb
    apt-get "${APT[@]}" download -qq mesa-vulkan-drivers/bookworm-backports
    dpkg-deb -x mesa-vulkan-drivers_*.deb "$VK/root"
    LIB="$VK/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
    test -f "$LIB"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.4.305"}}\n' "$LIB" > "$LAVAPIPE"
  ) || echo "setup-vulkan: lavapipe from bookworm-backports unavailable; using SwiftShader" >&2
fi

if [ -f "$LAVAPIPE" ]; then export VK_ICD_FILENAMES="$LAVAPIPE"; else export VK_ICD_FILENAMES="$SWIFTSHADER"; fi
export CHROMIUM_PATH="$CHROMIUM"
export MESA_SHADER_CACHE_DIR="$VK/shader-cache"
echo "VK_ICD_FILENAMES=$VK_ICD_FILENAMES"
echo "CHROMIUM_PATH=$CHROMIUM_PATH"
echo "MESA_SHADER_CACHE_DIR=$MESA_SHADER_CACHE_DIR"
