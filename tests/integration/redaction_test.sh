#!/usr/bin/env bash
# --redact between real processes: the same device traffic traced by three easproxy instances
# (secrets, content, strict). Every content value and identifier the traffic carried is looked
# for in each trace and log: at content and strict none may survive except what the level keeps.
#   redaction_test.sh BUILD_DIR SOURCE_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh" "$1"
SRC=$2
EASPROXY=$BUILD/easproxy
FAKE_CAS=$BUILD/tools/fake-cas
DEVICE=$BUILD/tools/eas-device
TRACE=$BUILD/tools/eas-trace
HAR_CHECK=${3:-}

make_proxy_cert
start cas "$FAKE_CAS" --config "$SRC/tools/fake-cas/two-sites.toml" --ca-out "$WORK/cas-ca.pem"
wait_for "$WORK/cas.out" "admin url=" 15 || exit 1
CAS_A=$(grep -oE 'site=A cas=[^ ]+ url=[^ ]+' "$WORK/cas.out" | sed 's/.*url=//')
ADMIN=$(grep -oE 'admin url=[^ ]+' "$WORK/cas.out" | sed 's/.*url=//')

# Mail with values that appear nowhere else, so finding one means it leaked.
SUBJECT="Budget-7f3e-SECRET"
BODY="Body-91ac-SECRET"
FROM_NAME="Mallory Zq-SECRET"
FROM_ADDR="mallory.zq@leak-test.example"
curl -s -X POST "$ADMIN/admin/user/sam/new-mail?subject=$SUBJECT&body=$BODY&from=%22Mallory%20Zq-SECRET%22%20%3Cmallory.zq%40leak-test.example%3E" >/dev/null

run_level() {  # run_level LEVEL [easproxy args]: traffic through an easproxy at that level
  local level=$1
  shift
  start "px_$level" "$EASPROXY" --mode "reverse:${CAS_A%/Microsoft-Server-ActiveSync}" --listen 127.0.0.1:0 \
    --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas-ca.pem" --state "" --trace "$WORK/$level.jsonl" \
    --trace-bodies both "$@"
  wait_for "$WORK/px_$level.err" "listening on https://" 10 || exit 1
  local url
  url=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/px_$level.err" | sed 's/listening on //')
  "$DEVICE" --url "$url/Microsoft-Server-ActiveSync" --password Passw0rd --ca "$WORK/proxy.crt" --user sam \
    --device-id SAMPHONE-IDENT7 --device-type iPhone --script options,provision,foldersync,sync,sync,sendmail \
    >"$WORK/device_$level.out" 2>&1
  check "the device syncs through easproxy --redact $level" test $? -eq 0
  kill -TERM "$(eval echo "\$PID_px_$level")" && wait_exit "$(eval echo "\$PID_px_$level")" 10
}
run_level secrets
run_level content --redact content
run_level strict --redact strict --redact-key case-1234
run_level strict2 --redact strict --redact-key case-1234
run_level strict3 --redact strict --redact-key another-key

# Sanity: the values were in the traffic (the secrets-level trace has them).
for v in "$SUBJECT" "$BODY" "$FROM_ADDR" sam SAMPHONE-IDENT7 '"client":"127.0.0.1:'; do
  check "the unredacted trace has $v (so the scans below can fail)" wait_for "$WORK/secrets.jsonl" "$v" 5
done
check "where content is kept, the SendMail MIME is summarised (nested)" \
  wait_for "$WORK/secrets.jsonl" '"nested":\[\{"element":"ComposeMail:Mime".*"kind":"mime"' 5
check "  ... and no password even there" test "$(count_lines "$WORK/secrets.jsonl" Passw0rd)" -eq 0

content_values=("$SUBJECT" "$BODY" "$FROM_NAME" "$FROM_ADDR" "eas-device test message")
identifiers=('"user":"sam"' 'User=sam' '(user sam)' SAMPHONE-IDENT7 '"client":"127.0.0.1:' 'eas-device SAMPHONE')
for level in content strict; do
  for v in "${content_values[@]}" Passw0rd; do
    check "--redact $level: \"$v\" is in neither trace nor log" \
      test "$(count_lines "$WORK/$level.jsonl" "$v")$(count_lines "$WORK/px_$level.err" "$v")" = 00
  done
  check "--redact $level: the raw bytes are withheld" test "$(count_lines "$WORK/$level.jsonl" raw_base64)" -eq 0
  for kept in '<SyncKey>' '<Status>1</Status><!-- Success -->' '"device_type":"iPhone"' '"command":"Sync"' '\[content [0-9]+ B #[0-9a-f]{12}\]'; do
    check "--redact $level keeps structure: $kept" contains "$WORK/$level.jsonl" "$kept"
  done
done
check "--redact content keeps identities" wait_for "$WORK/content.jsonl" '"user":"sam"' 5
for v in "${identifiers[@]}"; do
  check "--redact strict: $v is in neither trace nor log" \
    test "$(count_lines "$WORK/strict.jsonl" "$v")$(count_lines "$WORK/px_strict.err" "$v")" = 00
done
user_pseudonym=$(grep -oE '"user":"user-[0-9a-f]{6}"' "$WORK/strict.jsonl" | head -1)
check "--redact strict pseudonymises the user ($user_pseudonym)" test -n "$user_pseudonym"
check "  ... the same in every flow of the export" test "$(grep -oE '"user":"user-[0-9a-f]{6}"' "$WORK/strict.jsonl" | sort -u | wc -l)" -eq 1
check "  ... the same in another export with the same key" wait_for "$WORK/strict2.jsonl" "$user_pseudonym" 5
check "  ... different with another key" test "$(count_lines "$WORK/strict3.jsonl" "$user_pseudonym")" -eq 0
check "  ... and in the log lines" contains "$WORK/px_strict.err" "$(echo "$user_pseudonym" | grep -oE 'user-[0-9a-f]{6}') device-[0-9a-f]{6} iPhone Sync"
subject_token=$(grep -oE 'Subject xmlns=\\"Email:\\">\[content [0-9]+ B #[0-9a-f]{12}\]' "$WORK/content.jsonl" | head -1)
check "equal content gets equal tokens within an export ($subject_token)" test -n "$subject_token"

# --- eas-trace applies the same levels to an existing trace: one raw capture, several exports ---
for level in content strict; do
  "$TRACE" export --har "$WORK/export-$level.har" --redact "$level" --redact-key case-1234 \
    "$WORK/secrets.jsonl" >"$WORK/export-$level.out" 2>&1
  check "eas-trace export --redact $level writes a HAR" contains "$WORK/export-$level.out" "redacted: $level"
  if [ -n "$HAR_CHECK" ]; then
    check "  ... that is valid HAR 1.2" "$HAR_CHECK" "$WORK/export-$level.har"
  fi
  for v in "${content_values[@]}" Passw0rd c2FtOlBhc3N3MHJk; do
    check "  ... without \"$v\"" test "$(count_lines "$WORK/export-$level.har" "$v")" -eq 0
  done
  check "  ... keeping structure" contains "$WORK/export-$level.har" '<SyncKey>'
done
for v in "${identifiers[@]}" 'sam@' '"user": "sam"'; do
  check "eas-trace export --redact strict: no $v" test "$(count_lines "$WORK/export-strict.har" "$v")" -eq 0
done
p=$(echo "$user_pseudonym" | grep -oE 'user-[0-9a-f]{6}')
check "the same key gives the same pseudonyms in easproxy's trace and eas-trace's export ($p)" \
  contains "$WORK/export-strict.har" "$p"
"$TRACE" export --har "$WORK/export-other.har" --redact strict --redact-key other "$WORK/secrets.jsonl" >/dev/null 2>&1
check "  ... another key, other pseudonyms" test "$(count_lines "$WORK/export-other.har" "$p")" -eq 0
"$TRACE" show 3 --redact strict "$WORK/secrets.jsonl" >"$WORK/show-strict.txt" 2>&1
check "eas-trace show --redact strict hides the user too" test "$(count_lines "$WORK/show-strict.txt" 'sam')" -eq 0

finish
