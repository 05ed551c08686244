#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job. Until the proxy lands, the main job
# is decoding a captured ActiveSync exchange: a FolderSync request, a Sync response and a
# Ping response captured as hex, plus an EAS request line in the base64 form.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${EASPROXY_JOBS:-2}" --target eas-decode

decode=build/tools/eas-decode
banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

banner "Request line (base64 form, MS-ASHTTP example): $decode --request-line ..."
$decode --request-line '/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l'

for capture in tests/captures/*.hex; do
  banner "$(sed -n 's/^# *//p' "$capture" | head -n 1)   ($decode --hex $capture)"
  $decode --hex "$capture"
done

banner "A truncated body: what was decoded is printed, the error names the byte offset"
head -c 60 tests/captures/sync-request-mswbxml-example.hex | $decode --hex - || echo "(exit status $?)"
