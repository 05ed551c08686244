#!/usr/bin/env bash
# eas-trace on traces easproxy writes between real processes on 127.0.0.1: tools/fake-cas (two
# AD sites), easproxy in reverse mode in front of site A, and tools/eas-device as sam (homed in
# A: the full script) and alex (homed in B: HTTP 451, a legacy device that ignores it). Two
# runs: the default trace, and one with --trace-bodies both --trace-secrets.
#   eas_trace_test.sh BUILD_DIR SOURCE_DIR [HAR_CHECK]
# Covers list and each filter, show, stats against what the devices did, gzip and rotated
# files read together, corrupt lines, and the HAR export: HAR 1.2 structure (tests/har/
# har_check) and no credential in it, even from the --trace-secrets trace.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh" "$1"
SRC=$2
HAR_CHECK=${3:-$BUILD/tests/har_check}
EASPROXY=$BUILD/easproxy
FAKE_CAS=$BUILD/tools/fake-cas
DEVICE=$BUILD/tools/eas-device
TRACE=$BUILD/tools/eas-trace

# --- set-up: a certificate for the proxy (made now, never committed), the CAS ------------------
make_proxy_cert

start fake-cas "$FAKE_CAS" --config "$SRC/tools/fake-cas/two-sites.toml" --ca-out "$WORK/cas-ca.pem"
wait_for "$WORK/fake-cas.out" "admin url=" 15 || exit 1
CAS_A=$(grep -oE 'site=A cas=cas-a1 url=[^ ]+' "$WORK/fake-cas.out" | sed 's/.*url=//')
CAS_B=$(grep -oE 'site=B cas=cas-b1 url=[^ ]+' "$WORK/fake-cas.out" | sed 's/.*url=//')
ORIGIN_A=${CAS_A%/Microsoft-Server-ActiveSync}
B_AUTHORITY=${CAS_B#https://}
B_AUTHORITY=${B_AUTHORITY%%/*}

# run_devices NAME TRACE_FILE EASPROXY_ARGS...: easproxy in front of site A, sam's full script,
# alex's legacy device stuck on 451, then easproxy stopped so the trace is complete. Each
# device's exchanges are in $WORK/NAME-sam.jsonl and $WORK/NAME-alex.jsonl (eas-device --json).
run_devices() {
  local name=$1 trace=$2
  shift 2
  start "$name" "$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
    --upstream-ca "$WORK/cas-ca.pem" --trace "$trace" --shutdown-grace 3 --threads 2 "$@"
  wait_for "$WORK/$name.err" "listening on https://" 10 || exit 1
  URL=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/$name.err" | sed 's/listening on //')/Microsoft-Server-ActiveSync
  "$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --retry-delay 0 --json \
    --user sam --device-id SAMPHONE1 --device-type iPhone \
    --script options,provision,foldersync,sync,sync,ping:1,sendmail >"$WORK/$name-sam.jsonl" 2>"$WORK/$name-sam.err"
  check "$name: sam's device completes its script" test $? -eq 0
  "$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --retry-delay 0 --json \
    --user alex --device-id LEGACY01 --device-type WindowsMobile --behaviour legacy --retries 1 \
    --script foldersync >"$WORK/$name-alex.jsonl" 2>"$WORK/$name-alex.err"
  check "$name: alex's legacy device stays stuck on 451" test $? -eq 1
}

# rows FILE: data rows of a list table (the header is not one)
rows() { tail -n +2 "$1" | grep -c . || true; }
# column_all FILE N VALUE: every data row has VALUE in column N (whitespace-separated; the
# time is two: date and time of day)
column_all() { tail -n +2 "$1" | awk -v n="$2" -v v="$3" '$n != v { bad = 1 } END { exit bad }'; }
# stats_field FILE LABEL FIELD: a number from the stats table row LABEL (FIELD counts after it)
stats_field() {
  local words
  words=$(echo "$2" | wc -w)
  grep -E "^$2 " "$1" | head -1 | awk -v f=$((words + $3)) '{ print $f }'
}

# --- run 1: the default trace (decoded bodies, secrets redacted) -------------------------------
run_devices plain "$WORK/trace.jsonl"
kill -TERM "$PID_plain" && wait_exit "$PID_plain" 10
check "easproxy (run 1) stopped cleanly" test "$EXIT_STATUS" -eq 0
SAM=$(grep -c . "$WORK/plain-sam.jsonl")
ALEX=$(grep -c . "$WORK/plain-alex.jsonl")
FOLDERSYNCS=$(cat "$WORK/plain-sam.jsonl" "$WORK/plain-alex.jsonl" | grep -c '"cmd":"FolderSync"')
echo "devices reported: sam $SAM exchanges, alex $ALEX, FolderSync $FOLDERSYNCS"

# --- run 2: --trace-bodies both --trace-secrets, plus a password in a body ---------------------
run_devices secrets "$WORK/secrets.jsonl" --trace-bodies both --trace-secrets
printf '<Settings xmlns="Settings:"><DevicePassword><Set><Password>S3cr3tPIN</Password></Set></DevicePassword></Settings>' |
  "$BUILD/tools/eas-decode" --encode - >"$WORK/settings.wbxml"
SETTINGS_B64=$(base64 -w0 "$WORK/settings.wbxml")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/proxy.crt" -u sam:Passw0rd \
  -H 'MS-ASProtocolVersion: 14.1' -H 'Content-Type: application/vnd.ms-sync.wbxml' \
  --data-binary @"$WORK/settings.wbxml" "$URL?Cmd=Settings&User=sam&DeviceId=CURLPIN&DeviceType=curl")
check "a Settings request carrying a device password goes through" test "$code" = 200
kill -TERM "$PID_secrets" && wait_exit "$PID_secrets" 10
check "the --trace-secrets trace does hold the credentials (or the checks below prove nothing)" \
  bash -c "grep -q 'c2FtOlBhc3N3MHJk' '$WORK/secrets.jsonl' && grep -q 'S3cr3tPIN' '$WORK/secrets.jsonl' &&
           grep -qF '$SETTINGS_B64' '$WORK/secrets.jsonl'"

# --- list and its filters ----------------------------------------------------------------------
"$TRACE" list "$WORK/trace.jsonl" >"$WORK/list.txt" 2>"$WORK/list.err"
check "list exits 0 on a clean trace" test $? -eq 0
check "  ... one row per exchange the devices made ($((SAM + ALEX)))" test "$(rows "$WORK/list.txt")" -eq $((SAM + ALEX))
check "  ... rows numbered 1..N" bash -c "tail -n +2 '$WORK/list.txt' | awk '{ if (\$1 != NR) exit 1 }'"
check "  ... the 451 row names the decision and site B" contains "$WORK/list.txt" \
  "alex +LEGACY01 +WindowsMobile +FolderSync +451 .*451 pass -> $B_AUTHORITY"
check "  ... nothing on stderr" test ! -s "$WORK/list.err"

"$TRACE" list --status 451 "$WORK/trace.jsonl" >"$WORK/list451.txt"
check "list --status 451: alex's flows only ($ALEX)" test "$(rows "$WORK/list451.txt")" -eq "$ALEX"
check "  ... all of them alex's" column_all "$WORK/list451.txt" 4 alex
"$TRACE" list --cmd FolderSync "$WORK/trace.jsonl" >"$WORK/listfs.txt"
check "list --cmd FolderSync: $FOLDERSYNCS rows" test "$(rows "$WORK/listfs.txt")" -eq "$FOLDERSYNCS"
check "  ... all FolderSync" column_all "$WORK/listfs.txt" 7 FolderSync
"$TRACE" list --user sam "$WORK/trace.jsonl" >"$WORK/listsam.txt"
check "list --user sam: sam's $SAM exchanges (OPTIONS included, its user from Authorization)" \
  test "$(rows "$WORK/listsam.txt")" -eq "$SAM"
check "  ... all sam's" column_all "$WORK/listsam.txt" 4 sam
"$TRACE" list --device-type WindowsMobile --redirects "$WORK/trace.jsonl" >"$WORK/listwm.txt"
check "list --device-type WindowsMobile --redirects: alex's $ALEX" test "$(rows "$WORK/listwm.txt")" -eq "$ALEX"
"$TRACE" list --errors "$WORK/trace.jsonl" >"$WORK/listerr.txt"
check "list --errors: none in this run" test "$(rows "$WORK/listerr.txt")" -eq 0
"$TRACE" list --eas-status 1 --cmd Sync "$WORK/trace.jsonl" >"$WORK/listsync.txt"
check "list --eas-status 1 --cmd Sync: sam's two Syncs" test "$(rows "$WORK/listsync.txt")" -eq 2
TODAY=$(date -u +%Y-%m-%d)
"$TRACE" list --since "$TODAY" --until "$TODAY" "$WORK/trace.jsonl" >"$WORK/listtoday.txt"
check "list --since/--until today (date only): every flow" test "$(rows "$WORK/listtoday.txt")" -eq $((SAM + ALEX))
"$TRACE" list --until 2000-01-01 "$WORK/trace.jsonl" >"$WORK/listold.txt"
check "list --until 2000-01-01: none" test "$(rows "$WORK/listold.txt")" -eq 0
"$TRACE" list --since yesterday "$WORK/trace.jsonl" >/dev/null 2>"$WORK/since.err"
check "list --since with a bad time: exit 2" test $? -eq 2
check "  ... and why" contains "$WORK/since.err" "--since: 'yesterday' is not an ISO 8601 time"
"$TRACE" list --json --user alex "$WORK/trace.jsonl" >"$WORK/alex.jsonl"
check "list --json: the matching records, one per line" test "$(grep -c . "$WORK/alex.jsonl")" -eq "$ALEX"
check "  ... unchanged (as in the trace)" bash -c "grep -qxFf '$WORK/alex.jsonl' '$WORK/trace.jsonl' &&
  [ \$(grep -cxFf '$WORK/alex.jsonl' '$WORK/trace.jsonl') -eq $ALEX ]"
cat "$WORK/trace.jsonl" | "$TRACE" list - >"$WORK/liststdin.txt"
check "list - reads stdin" cmp -s "$WORK/list.txt" "$WORK/liststdin.txt"

# --- show --------------------------------------------------------------------------------------
N451=$(tail -n +2 "$WORK/list451.txt" | head -1 | awk '{ print $1 }')
"$TRACE" show "$N451" "$WORK/trace.jsonl" >"$WORK/show.txt"
check "show N (a 451 flow) exits 0" test $? -eq 0
check "  ... the decoded request line" contains "$WORK/show.txt" "EAS command +FolderSync \(code 9\)"
check "  ... the device" contains "$WORK/show.txt" "Device +LEGACY01 \(WindowsMobile\)"
check "  ... the protocol version from its header" contains "$WORK/show.txt" "Protocol +14.1 \(MS-ASProtocolVersion header\)"
check "  ... the request body as XML" contains "$WORK/show.txt" "^    <SyncKey>0</SyncKey>"
check "  ... the status and its meaning" contains "$WORK/show.txt" "^451 Redirect +\(Redirect: use the URL in X-MS-Location\)"
check "  ... the redirect section" contains "$WORK/show.txt" "X-MS-Location +$CAS_B"
check "  ... with the decision" contains "$WORK/show.txt" "Decision +pass"
check "  ... timings" contains "$WORK/show.txt" "Total +[0-9.]+"
NSYNC=$(tail -n +2 "$WORK/listsync.txt" | head -1 | awk '{ print $1 }')
"$TRACE" show "$NSYNC" "$WORK/trace.jsonl" >"$WORK/showsync.txt"
check "show N (a Sync): EAS Status in words" contains "$WORK/showsync.txt" "EAS Status +1 Success"
check "  ... the response body with Status comments" contains "$WORK/showsync.txt" "<Status>1</Status><!-- Success -->"
ID=$(grep -m1 '"command":"Provision"' "$WORK/trace.jsonl" | grep -oE '"id":[0-9]+' | cut -d: -f2)
"$TRACE" show --id "$ID" "$WORK/trace.jsonl" >"$WORK/showid.txt"
check "show --id ID: the record with that id" contains "$WORK/showid.txt" "easproxy flow id $ID\)"
"$TRACE" show 9999 "$WORK/trace.jsonl" >/dev/null 2>"$WORK/show-range.err"
check "show N out of range: exit 2" test $? -eq 2
check "  ... and how many flows there are" contains "$WORK/show-range.err" \
  "flow 9999 is out of range: the input holds $((SAM + ALEX)) flows"
"$TRACE" show "$N451" "$WORK/nonexistent.jsonl" >/dev/null 2>"$WORK/missing.err"
check "a missing file: exit 2" test $? -eq 2
check "  ... named with the reason" contains "$WORK/missing.err" "nonexistent.jsonl: No such file or directory"
NSET=$("$TRACE" list --cmd Settings "$WORK/secrets.jsonl" | tail -n +2 | awk '{ print $1 }')
"$TRACE" show --raw "$NSET" "$WORK/secrets.jsonl" >"$WORK/showraw.txt"
check "show --raw: a hex dump of the raw body" contains "$WORK/showraw.txt" "00000000  03 01 6a 00"

# --- stats -------------------------------------------------------------------------------------
"$TRACE" stats "$WORK/trace.jsonl" >"$WORK/stats.txt"
check "stats exits 0" test $? -eq 0
check "stats: sam's device made $((SAM - 1)) requests with its DeviceId (its OPTIONS has none)" \
  test "$(stats_field "$WORK/stats.txt" "sam / SAMPHONE1 / iPhone" 1)" -eq $((SAM - 1))
check "stats: sam's OPTIONS under sam / - / -" test "$(stats_field "$WORK/stats.txt" "sam / - / -" 1)" -eq 1
check "stats: alex's device $ALEX flows" \
  test "$(stats_field "$WORK/stats.txt" "alex / LEGACY01 / WindowsMobile" 1)" -eq "$ALEX"
check "  ... all of them 451s" \
  test "$(stats_field "$WORK/stats.txt" "alex / LEGACY01 / WindowsMobile" 4)" -eq "$ALEX"
check "  ... 451 rate 100%" \
  test "$(stats_field "$WORK/stats.txt" "alex / LEGACY01 / WindowsMobile" 5)" = "100.0%"
check "stats: FolderSync $FOLDERSYNCS flows" test "$(stats_field "$WORK/stats.txt" "FolderSync" 1)" -eq "$FOLDERSYNCS"
check "stats: total $((SAM + ALEX)) flows, no errors" \
  bash -c "[ \"\$(grep -E '^TOTAL ' '$WORK/stats.txt' | awk '{ print \$2, \$3 }')\" = '$((SAM + ALEX)) 0' ]"
check "stats: the 1 s Ping is the max latency" \
  bash -c "grep -E '^Ping ' '$WORK/stats.txt' | awk '{ exit !(\$10 >= 1000 && \$10 < 3000) }'"
"$TRACE" stats --json --user alex "$WORK/trace.jsonl" >"$WORK/stats.json"
check "stats --json with a filter" contains "$WORK/stats.json" "\"flows\": $ALEX,"
check "  ... 451 counted" contains "$WORK/stats.json" "\"saw_451\": $ALEX,"

# --- several files: a gzip copy (recognised by content, not name) with the plain one ---------
gzip -c "$WORK/trace.jsonl" >"$WORK/trace.jsonl.2"
"$TRACE" list "$WORK/trace.jsonl.2" "$WORK/trace.jsonl" >"$WORK/listboth.txt" 2>"$WORK/listboth.err"
check "a gzip copy read with the plain file: exit 0" test $? -eq 0
check "  ... twice the rows" test "$(rows "$WORK/listboth.txt")" -eq $((2 * (SAM + ALEX)))
check "  ... numbered on across files" bash -c "tail -n 1 '$WORK/listboth.txt' | awk '{ exit \$1 != $((2 * (SAM + ALEX))) }'"
"$TRACE" stats "$WORK/trace.jsonl.2" "$WORK/trace.jsonl" >"$WORK/statsboth.txt"
check "  ... stats count both" test "$(stats_field "$WORK/statsboth.txt" "TOTAL" 1)" -eq $((2 * (SAM + ALEX)))
"$TRACE" show $((SAM + ALEX + N451)) "$WORK/trace.jsonl.2" "$WORK/trace.jsonl" >"$WORK/show2.txt"
check "  ... show N reaches into the second file" contains "$WORK/show2.txt" "^Flow $((SAM + ALEX + N451)) +\(.*/trace.jsonl:$N451,"
head -c 300 "$WORK/trace.jsonl.2" >"$WORK/cut.gz"
"$TRACE" list "$WORK/cut.gz" >/dev/null 2>"$WORK/cut.err"
check "a truncated gzip file: exit 2" test $? -eq 2
check "  ... said so" contains "$WORK/cut.err" "cut.gz: .*gzip: the compressed data ends early"

# --- a corrupt line is reported with FILE:LINE and skipped ------------------------------------
{
  head -n 3 "$WORK/trace.jsonl"
  sed -n 4p "$WORK/trace.jsonl" | head -c 100
  echo
  tail -n +5 "$WORK/trace.jsonl"
} >"$WORK/bad.jsonl"
"$TRACE" list "$WORK/bad.jsonl" >"$WORK/listbad.txt" 2>"$WORK/listbad.err"
check "a corrupt line: exit 1" test $? -eq 1
check "  ... reported as FILE:LINE" contains "$WORK/listbad.err" "bad.jsonl:4: not JSON: .*\(line skipped\)"
check "  ... the other lines still listed" test "$(rows "$WORK/listbad.txt")" -eq $((SAM + ALEX - 1))
"$TRACE" stats --quiet-bad "$WORK/bad.jsonl" >/dev/null 2>"$WORK/quiet.err"
check "--quiet-bad: exit 0" test $? -eq 0
check "  ... only the count" bash -c "grep -q '1 bad line skipped' '$WORK/quiet.err' && ! grep -q ':4:' '$WORK/quiet.err'"

# --- HAR export --------------------------------------------------------------------------------
"$TRACE" export --har "$WORK/all.har" "$WORK/trace.jsonl" "$WORK/secrets.jsonl" >"$WORK/export.out"
check "export --har: exit 0" test $? -eq 0
FLOWS=$(( $("$TRACE" list "$WORK/trace.jsonl" "$WORK/secrets.jsonl" | wc -l) - 1 ))
check "  ... says how many entries ($FLOWS)" contains "$WORK/export.out" "wrote $FLOWS entries to .*all.har"
check "  ... valid HAR 1.2 (har_check)" "$HAR_CHECK" "$WORK/all.har"
check "  ... no temporary file left" bash -c "! ls '$WORK' | grep -q 'all.har.tmp'"
check "  ... no password in it" bash -c "! grep -q 'Passw0rd\|S3cr3tPIN' '$WORK/all.har'"
check "  ... no base64 credentials (sam:Passw0rd, alex:Passw0rd)" \
  bash -c "! grep -q 'c2FtOlBhc3N3MHJk\|YWxleDpQYXNzdzByZA' '$WORK/all.har'"
check "  ... no raw bytes of the body carrying the password" bash -c "! grep -qF '$SETTINGS_B64' '$WORK/all.har'"
check "  ... the Password element kept, redacted" contains "$WORK/all.har" '<Password>\[redacted\]</Password>'
check "  ... Authorization keeps the user" contains "$WORK/all.har" '"Basic \[redacted\] \(user sam\)"'
check "  ... URL from the upstream origin" contains "$WORK/all.har" "\"url\":\"$ORIGIN_A/Microsoft-Server-ActiveSync\?Cmd=FolderSync&User=alex"
check "  ... 451 with redirectURL = X-MS-Location" contains "$WORK/all.har" "\"redirectURL\":\"$CAS_B\""
check "  ... decoded EAS in _eas and _xml" bash -c "grep -q '\"_eas\":{' '$WORK/all.har' && grep -q '\"_xml\":\"<FolderSync' '$WORK/all.har'"
check "  ... raw response bodies as base64 content" contains "$WORK/all.har" '"encoding":"base64"'
"$TRACE" export --har "$WORK/keep.har" --keep-secrets "$WORK/secrets.jsonl" >/dev/null
check "export --keep-secrets: valid HAR" "$HAR_CHECK" "$WORK/keep.har"
check "  ... keeps what the trace holds" bash -c "grep -q 'c2FtOlBhc3N3MHJk' '$WORK/keep.har' && grep -qF '$SETTINGS_B64' '$WORK/keep.har'"
"$TRACE" export --har "$WORK/451.har" --status 451 "$WORK/trace.jsonl" "$WORK/secrets.jsonl" >"$WORK/export451.out"
check "export with list's filters: --status 451 gives alex's $((2 * ALEX))" \
  contains "$WORK/export451.out" "wrote $((2 * ALEX)) entries"
check "  ... valid HAR" "$HAR_CHECK" "$WORK/451.har"
"$TRACE" export --har "$WORK/none.har" --user nobody "$WORK/trace.jsonl" >/dev/null
check "export of nothing: a valid, empty HAR" "$HAR_CHECK" "$WORK/none.har"
"$TRACE" export --har "$WORK/no/such/dir.har" "$WORK/trace.jsonl" >/dev/null 2>"$WORK/export-bad.err"
check "export into a missing directory: exit 2" test $? -eq 2
check "  ... with the reason" contains "$WORK/export-bad.err" "cannot write the HAR: .*No such file or directory"

finish
