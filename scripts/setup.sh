#!/usr/bin/env bash
# Installs the Debian packages easproxy needs to build and test, only when one is missing.
# Safe to run repeatedly; needs root (or sudo) the first time on a bare machine.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost-dev libssl-dev zlib1g-dev
  node-llhttp
  libwbxml2-dev libwbxml2-utils libexpat1-dev
  catch2
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libspdlog-dev
  clang libclang-rt-14-dev
  curl ca-certificates openssl
  tshark  # decrypts a capture with --keylog in the certificate tests
  chromium nodejs  # the live view's browser test (tests/integration/web_ui_test.sh)
)
# scripts/setup.sh --bench: also the peers tools/bench/bench.sh measures easproxy against.
if [ "${1:-}" = --bench ]; then
  packages+=(wrk nginx haproxy mitmproxy python3)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
