#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a while.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Seeds come from the test corpus; findings land in fuzz-findings/<target>/.
# FUZZ_PARALLEL=N runs N targets at a time (default 1; the machine has 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_wbxml fuzz_xml_reader fuzz_request_line fuzz_multipart fuzz_inflate fuzz_mime fuzz_lzfu fuzz_payload_sniff)

bash scripts/setup.sh
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEASPROXY_FUZZ=ON -DEASPROXY_TESTS=ON >/dev/null
cmake --build build-fuzz -j2 --target "${targets[@]}" eas-decode

# Seeds: the corpus as WBXML, XML, gzip and multipart; a few request lines of both forms.
seeds=build-fuzz/seeds
rm -rf "$seeds" && mkdir -p "$seeds"/{wbxml,xml_reader,inflate,multipart,request_line,mime,lzfu,payload_sniff}
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
# MIME, compressed RTF (uncompressed "MELA" form) and payloads for the nested-payload decoders
printf 'From: a@b\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\nhi\r\n--q--\r\n' > "$seeds/mime/mixed"
printf '\x22\x00\x00\x00\x16\x00\x00\x00MELA\x00\x00\x00\x00{\\rtf1\\ansi hello\\par}' > "$seeds/lzfu/mela"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00' > "$seeds/payload_sniff/png"
printf '%s' 'Cmd=SmartReply&User=a&DeviceId=b&DeviceType=c&CollectionId=5&ItemId=5:1&SaveInSent=T' > "$seeds/request_line/reply"

run_one() {
  local t=$1 seed_dir=$seeds/${1#fuzz_}
  mkdir -p "fuzz-corpus/$t" "fuzz-findings/$t"
  local rc=0
  build-fuzz/tests/fuzz/$t "fuzz-corpus/$t" "$seed_dir" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -artifact_prefix="fuzz-findings/$t/" -print_final_stats=1 >"fuzz-findings/$t.log" 2>&1 || rc=$?
  echo "== $t: ${seconds}s, exit $rc"
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "fuzz-findings/$t.log"
  ls "fuzz-findings/$t" | sed 's/^/   finding: /'
  return $rc
}

parallel=${FUZZ_PARALLEL:-1}
status=0
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
