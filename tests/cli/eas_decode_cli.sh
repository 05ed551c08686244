#!/usr/bin/env bash
# Runs the real eas-decode binary the ways the README shows, checking output and exit status.
#   eas_decode_cli.sh PATH/TO/eas-decode PATH/TO/tests
set -u
decode=$1
tests=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

check() {  # name, expected exit status, command...; output in $work/out, $work/err
  local name=$1 want=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $name: exit $got, expected $want"; sed 's/^/  stderr: /' "$work/err" | head -5
    failed=$((failed + 1))
    return 1
  fi
  return 0
}
expect() {  # name, file, fixed string
  if grep -qF -- "$3" "$2"; then
    passed=$((passed + 1))
  else
    echo "FAIL: $1: '$3' not in $(basename "$2")"; head -c 600 "$2" | sed 's/^/  /'
    failed=$((failed + 1))
  fi
}

sample=$tests/corpus/sync-request-email-14.1.xml

check "help" 0 "$decode" --help && expect "help" "$work/out" "--request-line"

check "encode to file" 0 "$decode" --encode "$sample" && cp "$work/out" "$work/sync.wbxml"
check "decode file" 0 "$decode" "$work/sync.wbxml" && expect "decode file" "$work/out" '<Sync xmlns="AirSync:">'
check "decode stdin" 0 "$decode" - <"$work/sync.wbxml" && expect "decode stdin" "$work/out" '<BodyPreference xmlns="AirSyncBase:">'

check "encode hex" 0 "$decode" --encode --hex "$sample" && cp "$work/out" "$work/sync.hex"
check "decode hex" 0 "$decode" --hex "$work/sync.hex" && expect "decode hex" "$work/out" '<Sync xmlns="AirSync:">'
check "encode base64" 0 "$decode" --encode --base64 "$sample" && cp "$work/out" "$work/sync.b64"
check "decode base64" 0 "$decode" --base64 "$work/sync.b64" && expect "decode base64" "$work/out" '<Collections>'

# XML -> WBXML -> XML -> WBXML is stable.
"$decode" "$work/sync.wbxml" >"$work/sync.xml"
check "re-encode" 0 "$decode" --encode "$work/sync.xml"
if cmp -s "$work/out" "$work/sync.wbxml"; then passed=$((passed + 1)); else echo "FAIL: re-encode differs"; failed=$((failed + 1)); fi

check "json" 0 "$decode" --json "$work/sync.wbxml" && expect "json" "$work/out" '"tag": "Sync"'

gzip -c "$work/sync.wbxml" >"$work/sync.gz"
check "gzip sniffed" 0 "$decode" "$work/sync.gz" && expect "gzip sniffed" "$work/out" '<Sync xmlns="AirSync:">'

head -c 50 "$work/sync.wbxml" >"$work/cut.wbxml"
check "truncated" 1 "$decode" "$work/cut.wbxml" && {
  expect "truncated stderr" "$work/err" "stopped at byte offset"
  expect "truncated keeps prefix" "$work/out" '<SyncKey>'
  expect "truncated marks the spot" "$work/out" '<!-- eas-decode: wbxml stopped at byte offset'
}

check "request line base64" 0 "$decode" --request-line '/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l' &&
  expect "request line base64" "$work/out" "v140Device"
check "request line json" 0 "$decode" --json --request-line 'Cmd=FolderSync&User=alex&DeviceId=ABC&DeviceType=iPhone' &&
  expect "request line json" "$work/out" '"FolderSync"'
check "request line broken" 1 "$decode" --request-line 'jAAJBAp2MTQw' && expect "request line broken" "$work/err" "request line"

check "missing file" 2 "$decode" "$work/nope.wbxml" && expect "missing file" "$work/err" "cannot open"
check "bad hex" 2 "$decode" --hex - <<<"03 01 zz" && expect "bad hex" "$work/err" "hex"
check "bad xml" 1 "$decode" --encode --hex - <<<"<Sync xmlns=\"AirSync:\"><Nope/></Sync>" && expect "bad xml" "$work/err" "Nope"

for capture in "$tests"/captures/*.hex; do
  [ -e "$capture" ] || continue
  check "capture $(basename "$capture")" 0 "$decode" --no-annotate --hex "$capture" &&
    cmp -s "$work/out" "${capture%.hex}.expected.xml" && passed=$((passed + 1)) ||
    { echo "FAIL: capture $(basename "$capture") output differs"; failed=$((failed + 1)); }
done

check "status words" 0 "$decode" --hex "$tests/captures/ping-response-status2.hex" &&
  expect "status words" "$work/out" '<Status>2</Status><!-- '
check "bad --from" 2 "$decode" --from phone "$work/sync.wbxml"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
