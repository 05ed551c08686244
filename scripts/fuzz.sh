#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a while.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Seeds come from the test corpus; findings land in fuzz-findings/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_wbxml fuzz_xml_reader fuzz_request_line fuzz_multipart fuzz_inflate)

bash scripts/setup.sh
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEASPROXY_FUZZ=ON -DEASPROXY_TESTS=ON >/dev/null
cmake --build build-fuzz -j2 --target "${targets[@]}" eas-decode

# Seeds: the corpus as WBXML, XML, gzip and multipart; a few request lines of both forms.
seeds=build-fuzz/seeds
rm -rf "$seeds" && mkdir -p "$seeds"/{wbxml,xml_reader,inflate,multipart,request_line}
for x in tests/corpus/*.xml; do
  n=$(basename "$x" .xml)
  [ "$(stat -c %s "$x")" -lt 20000 ] || continue
  build-fuzz/tools/eas-decode --encode "$x" > "$seeds/wbxml/$n.wbxml" 2>/dev/null || continue
  cp "$x" "$seeds/xml_reader/"
  gzip -c "$seeds/wbxml/$n.wbxml" > "$seeds/inflate/$n.gz"
  # one-part multipart: count 1, offset 12, length, then the part
  len=$(stat -c %s "$seeds/wbxml/$n.wbxml")
  { printf '\x01\x00\x00\x00\x0c\x00\x00\x00'; printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((len & 255)) $((len >> 8 & 255)) $((len >> 16 & 255)) $((len >> 24 & 255)))"; cat "$seeds/wbxml/$n.wbxml"; } > "$seeds/multipart/$n.bin"
done
printf '%s' 'Cmd=Sync&User=alex&DeviceId=ABC123&DeviceType=iPhone' > "$seeds/request_line/plain"
printf '%s' '/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l' > "$seeds/request_line/base64"
printf '%s' 'Cmd=SmartReply&User=a&DeviceId=b&DeviceType=c&CollectionId=5&ItemId=5:1&SaveInSent=T' > "$seeds/request_line/reply"

for t in "${targets[@]}"; do
  seed_dir=$seeds/${t#fuzz_}
  mkdir -p "fuzz-corpus/$t" "fuzz-findings/$t"
  echo "== $t for ${seconds}s"
  build-fuzz/tests/fuzz/$t "fuzz-corpus/$t" "$seed_dir" -max_total_time="$seconds" \
    -artifact_prefix="fuzz-findings/$t/" -print_final_stats=1 2>&1 | tail -n 12
done
