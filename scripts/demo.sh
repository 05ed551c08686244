#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job. Until the proxy lands, the main job
# is decoding captured ActiveSync traffic: hex captures under tests/captures (FolderSync, Ping,
# Sync and SendMail bodies), EAS request lines in both query forms, and a body cut short.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${EASPROXY_JOBS:-2}" --target eas-decode

decode=build/tools/eas-decode
banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

banner "Request line, base64 form (MS-ASHTTP example)"
$decode --request-line '/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l'
banner "Request line, plain form"
$decode --request-line 'POST /Microsoft-Server-ActiveSync?Cmd=SmartReply&User=CONTOSO%5Calex&DeviceId=ApplDNQX1234&DeviceType=iPhone&CollectionId=5&ItemId=5%3A12&SaveInSent=T HTTP/1.1'

for capture in tests/captures/*.hex; do
  banner "$(sed -n '1s/^# *//p' "$capture" | cut -c1-90)"
  echo "\$ $decode --hex $capture"
  $decode --hex "$capture"
done

banner "A truncated body: what was decoded is printed, the error names the byte offset"
grep -v '^#' tests/captures/sendmail-request-mime-opaque-14.1.hex | head -c 90 | $decode --hex - ||
  echo "(exit status $?: the body is cut short)"
