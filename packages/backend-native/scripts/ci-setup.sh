#!/bin/sh
# CI prerequisites of @hypercolumn/backend-native (Debian): a C++17 compiler with its sanitizer
# runtime (test:asan) and qemu-user (test:qemu runs the AVX2 path under qemu-x86_64 -cpu EPYC-Milan).
set -e
apt-get update
apt-get install -y --no-install-recommends g++ qemu-user
