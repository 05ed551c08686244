#!/usr/bin/env bash
# Upstream trouble between real processes on 127.0.0.1: the connection cap per upstream (a
# request waits for a slot, then gets 503), devices that hang up during a held Ping (the
# upstream request is abandoned, freeing its slot), and a CAS killed mid-response while 50 other
# devices keep syncing through the same easproxy.
#   upstream_faults_test.sh BUILD_DIR SOURCE_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh" "$1"
SRC=$2
EASPROXY=$BUILD/easproxy
FAKE_CAS=$BUILD/tools/fake-cas
DEVICE=$BUILD/tools/eas-device

make_proxy_cert

# cas_url LOG SITE: the EAS URL of the site's CAS, from fake-cas's ready line
cas_url() { grep -oE "site=$2 cas=[^ ]+ url=[^ ]+" "$1" | head -1 | sed 's/.*url=//'; }
admin_url() { grep -oE 'admin url=[^ ]+' "$1" | sed 's/.*url=//'; }
# held N ADMIN USER: true once the CAS parks at least N requests of USER
held() {
  local n
  n=$(curl -s "$2/admin/state" | grep -oE "\"held_requests\":[0-9]+,\"items\":\{[^}]*\},\"name\":\"$3\"" |
    grep -oE '^"held_requests":[0-9]+' | cut -d: -f2)
  [ "${n:-0}" -ge "$1" ]
}
# until_true SECONDS COMMAND...: polls COMMAND (every 50 ms) until it succeeds or time runs out
until_true() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.05
  done
}

start cas "$FAKE_CAS" --config "$SRC/tools/fake-cas/two-sites.toml" --ca-out "$WORK/cas-ca.pem"
wait_for "$WORK/cas.out" "admin url=" 15 || exit 1
CAS_A=$(cas_url "$WORK/cas.out" A)
ADMIN=$(admin_url "$WORK/cas.out")

# --- --max-connections 3: a fourth device connection is reset at once, and served once one closes
start maxconn "$EASPROXY" --mode "reverse:${CAS_A%/Microsoft-Server-ActiveSync}" --listen 127.0.0.1:0 \
  --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas-ca.pem" --max-connections 3 --threads 2
wait_for "$WORK/maxconn.err" "listening on https://" 10 || exit 1
MAXCONN_PORT=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/maxconn.err" | grep -oE '[0-9]+$')
MAXCONN_URL=https://127.0.0.1:$MAXCONN_PORT/Microsoft-Server-ActiveSync
check "the cap is stated at start" contains "$WORK/maxconn.err" "--max-connections 3"
exec {held1}<>"/dev/tcp/127.0.0.1/$MAXCONN_PORT" {held2}<>"/dev/tcp/127.0.0.1/$MAXCONN_PORT" \
  {held3}<>"/dev/tcp/127.0.0.1/$MAXCONN_PORT"
# The three silent connections count once easproxy has accepted them; until then a fourth may
# still get in, so the check retries (bounded) until it is refused.
over_cap() {
  curl -s -o /dev/null --max-time 5 --cacert "$WORK/proxy.crt" -u sam:Passw0rd -X OPTIONS "$MAXCONN_URL"
  local rc=$?
  [ "$rc" -ne 0 ] && [ "$rc" -ne 28 ]  # refused or reset, not a timeout
}
check "a fourth connection over --max-connections 3 is reset at once" until_true 10 over_cap
check "  ... with one log line" wait_for "$WORK/maxconn.err" "3 device connections open \(--max-connections\): new ones are reset" 5
exec {held1}>&- {held2}>&- {held3}>&-
served() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$WORK/proxy.crt" -u sam:Passw0rd \
    -X OPTIONS "$MAXCONN_URL")" = 200 ]
}
check "once they close, the next device is served" until_true 10 served
check "  ... and the log says the cap was left" wait_for "$WORK/maxconn.err" "below --max-connections again: [0-9]+ connection\(s\) were reset" 5
kill -TERM "$PID_maxconn"
wait_exit "$PID_maxconn" 10

# --- --handshake-timeout: a connection that never starts TLS gives its slot back -------------------
start hs "$EASPROXY" --mode "reverse:${CAS_A%/Microsoft-Server-ActiveSync}" --listen 127.0.0.1:0 \
  --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas-ca.pem" --handshake-timeout 1 --threads 1
wait_for "$WORK/hs.err" "listening on https://" 10 || exit 1
HS_PORT=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/hs.err" | grep -oE '[0-9]+$')
exec {silent}<>"/dev/tcp/127.0.0.1/$HS_PORT"
check "a connection that never starts its TLS handshake is dropped after --handshake-timeout" \
  wait_for "$WORK/hs.err" "TLS handshake with the device failed: .*\(timed out\)" 5
check "  ... and closed (the client reads the end)" timeout 5 cat <&"$silent"
exec {silent}>&-
kill -TERM "$PID_hs"
wait_exit "$PID_hs" 10

# --- a cap of 2 connections to the CAS; the third request waits, then gets 503 ----------------
start capped "$EASPROXY" --mode "reverse:${CAS_A%/Microsoft-Server-ActiveSync}" --listen 127.0.0.1:0 \
  --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas-ca.pem" --trace "$WORK/capped.jsonl" \
  --upstream-max-connections 2 --upstream-queue-timeout 1 --threads 2
wait_for "$WORK/capped.err" "listening on https://" 10 || exit 1
URL=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/capped.err" | sed 's/listening on //')/Microsoft-Server-ActiveSync
pinger() {  # pinger NAME DEVICEID: a device whose Ping the CAS holds for 5 minutes
  start "$1" "$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --user sam \
    --device-id "$2" --device-type iPhone --script provision,foldersync,ping:300
}
pinger ping1 CAPPED1
pinger ping2 CAPPED2
check "two Pings are held at the CAS through the capped proxy" until_true 20 held 2 "$ADMIN" sam
code=$(curl -s -o "$WORK/503.txt" -D "$WORK/503.head" -w '%{http_code}' --cacert "$WORK/proxy.crt" \
  -u sam:Passw0rd -X OPTIONS "$URL")
check "a third request finds both connections busy and gets 503 after the queue timeout" test "$code" = 503
check "  ... with Retry-After" contains "$WORK/503.head" "^Retry-After: [0-9]+"
check "  ... and the reason" contains "$WORK/503.txt" "all 2 connections to 127.0.0.1:[0-9]+ are busy"
check "  ... a log line" contains "$WORK/capped.err" "OPTIONS.*503.*all 2 connections"
check "  ... and a trace record" wait_for "$WORK/capped.jsonl" '"error":\{"answered":503' 5

# The devices give up on their Pings: easproxy abandons the upstream requests, freeing the slots.
kill -KILL "$PID_ping1" "$PID_ping2"
wait "$PID_ping1" "$PID_ping2" 2>/dev/null
check "easproxy notices each device hanging up during its held Ping" \
  wait_for "$WORK/capped.err" "CAPPED2 iPhone Ping.*device closed its connection after [0-9]+ s of waiting" 10
check "  ... for both devices" wait_for "$WORK/capped.err" "CAPPED1 iPhone Ping.*device closed its connection" 10
check "  ... and traces it" wait_for "$WORK/capped.jsonl" '"reason":"the device closed its connection[^"]*","stage":"device"' 5
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/proxy.crt" -u sam:Passw0rd -X OPTIONS "$URL")
check "the freed slots serve new requests at once" test "$code" = 200

# A request waiting for a slot gets it the moment one frees (here: a Ping answered).
kill -TERM "$PID_capped" && wait_exit "$PID_capped" 10
start queued "$EASPROXY" --mode "reverse:${CAS_A%/Microsoft-Server-ActiveSync}" --listen 127.0.0.1:0 \
  --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas-ca.pem" --trace "$WORK/queued.jsonl" \
  --upstream-max-connections 1 --upstream-queue-timeout 60 --threads 2
wait_for "$WORK/queued.err" "listening on https://" 10 || exit 1
URL=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/queued.err" | sed 's/listening on //')/Microsoft-Server-ActiveSync
before=$(curl -s "$ADMIN/admin/state" | grep -oE '"held_requests":[0-9]+,"items":\{[^}]*\},"name":"sam"' | grep -oE '^"held_requests":[0-9]+' | cut -d: -f2)
start ping5 "$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --user sam \
  --device-id QUEUED1 --device-type iPhone --script provision,foldersync,ping:8
check "a Ping holds the only connection" until_true 20 held $((before + 1)) "$ADMIN" sam
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/proxy.crt" -u sam:Passw0rd -X OPTIONS \
  "$URL?User=sam&DeviceId=QUEUED2&DeviceType=curl")
check "a request queued behind it is served when the Ping is answered" test "$code" = 200
wait_exit "$PID_ping5" 20
check "  ... the Ping itself was answered" test "$EXIT_STATUS" -eq 0
check "  ... and the trace shows the wait for the connection" \
  wait_for "$WORK/queued.jsonl" '"device_id":"QUEUED2".*"upstream_queue":[1-9][0-9]{2,}' 5

# --- a CAS killed mid-response: its devices get 502 or a cut connection, each traced, while 50
# --- devices talking to another CAS through the same easproxy carry on ------------------------
cat >"$WORK/doomed.toml" <<'TOML'
[[site]]
name = "D"
external_url = true
  [[site.cas]]
  name = "cas-d1"
  port = 0
[[user]]
name = "sam"
password = "Passw0rd"
site = "D"
[eas]
require_provisioning = false
min_heartbeat = 1
TOML
start doomed "$FAKE_CAS" --config "$WORK/doomed.toml" --ca-out "$WORK/doomed-ca.pem"
wait_for "$WORK/doomed.out" "admin url=" 15 || exit 1
DOOMED=$(cas_url "$WORK/doomed.out" D)
DOOMED_ADMIN=$(admin_url "$WORK/doomed.out")
cat "$WORK/cas-ca.pem" "$WORK/doomed-ca.pem" >"$WORK/both-ca.pem"
start regular "$EASPROXY" --mode regular --ca-dir "$WORK/ca" --listen 127.0.0.1:0 \
  --upstream-ca "$WORK/both-ca.pem" --trace "$WORK/regular.jsonl" --threads 2
wait_for "$WORK/regular.err" "listening on http://" 10 || exit 1
REGULAR=$(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$WORK/regular.err" | sed 's/listening on //')

# 50 devices on the healthy CAS, each on its own connection through easproxy: a Ping held 8 s,
# then another FolderSync.
before=$(curl -s "$ADMIN/admin/state" | grep -oE '"held_requests":[0-9]+,"items":\{[^}]*\},"name":"sam"' | grep -oE '^"held_requests":[0-9]+' | cut -d: -f2)
CARRY_ON=()
for i in $(seq 1 50); do
  start "carry$i" "$DEVICE" --url "$CAS_A" --proxy "$REGULAR" --ca "$WORK/ca/ca-cert.pem" \
    --password Passw0rd --user sam --device-id "CARRYON$i" --device-type iPhone \
    --script provision,foldersync,ping:8,foldersync
  CARRY_ON+=($!)
done
check "50 devices hold a Ping at the healthy CAS through easproxy" until_true 60 held $((before + 50)) "$ADMIN" sam

# On the doomed CAS: a 100 MB attachment being downloaded (slowly), and a held Ping.
"$BUILD/tools/eas-decode" --encode - >"$WORK/fetch.wbxml" <<'XML'
<ItemOperations xmlns="ItemOperations:" xmlns:airsyncbase="AirSyncBase:"><Fetch><Store>Mailbox</Store><airsyncbase:FileReference>2:4:0</airsyncbase:FileReference></Fetch></ItemOperations>
XML
curl -s -x "$REGULAR" --cacert "$WORK/ca/ca-cert.pem" -u sam:Passw0rd --limit-rate 2M -o "$WORK/partial.bin" \
  -H 'MS-ASProtocolVersion: 14.1' -H 'Content-Type: application/vnd.ms-sync.wbxml' --data-binary @"$WORK/fetch.wbxml" \
  "$DOOMED?Cmd=ItemOperations&User=sam&DeviceId=FETCHER&DeviceType=curl" &
FETCH=$!
PIDS+=($FETCH)
partial_started() { [ "$(stat -c %s "$WORK/partial.bin" 2>/dev/null || echo 0)" -gt 1000000 ]; }
check "the attachment is streaming from the doomed CAS" until_true 30 partial_started
start victim "$DEVICE" --url "$DOOMED" --proxy "$REGULAR" --ca "$WORK/ca/ca-cert.pem" --password Passw0rd \
  --user sam --device-id VICTIM --device-type iPhone --script foldersync,ping:120
check "a Ping is held at the doomed CAS" until_true 20 held 1 "$DOOMED_ADMIN" sam

kill -KILL "$PID_doomed"
wait "$PID_doomed" 2>/dev/null
wait_exit "$PID_victim" 15
check "the device whose held Ping died with the CAS gets 502" contains "$WORK/victim.out" "Ping -> HTTP 502"
check "  ... easproxy logs it" wait_for "$WORK/regular.err" \
  "sam VICTIM iPhone Ping -> 502 \(answered by easproxy\) \| upstream response: the upstream closed the connection before answering" 5
check "  ... and traces it" wait_for "$WORK/regular.jsonl" \
  '"error":\{"answered":502,"reason":"the upstream closed the connection before answering' 5
wait_exit "$FETCH" 15
check "the download cut off by the CAS's death ends in an error at the device, not a hang" test "$EXIT_STATUS" -ne 0
check "  ... easproxy logs how far it got" wait_for "$WORK/regular.err" \
  "sam FETCHER curl ItemOperations \| upstream response: the upstream broke off the response after [0-9]+ body bytes" 5
check "  ... and traces it" wait_for "$WORK/regular.jsonl" \
  '"reason":"the upstream broke off the response after [0-9]+ body bytes' 5

failed_devices=0
for pid in "${CARRY_ON[@]}"; do
  if wait_exit "$pid" 60; then
    [ "$EXIT_STATUS" -eq 0 ] || failed_devices=$((failed_devices + 1))
  else
    failed_devices=$((failed_devices + 1))
  fi
done
check "all 50 devices on the healthy CAS finished their scripts (failed: $failed_devices)" test "$failed_devices" -eq 0
check "  ... each Ping answered through easproxy" \
  test "$(count_lines "$WORK/regular.err" "CARRYON[0-9]+ iPhone Ping -> 200")" -eq 50
check "  ... and each FolderSync after it" \
  test "$(count_lines "$WORK/regular.err" "CARRYON[0-9]+ iPhone FolderSync -> 200")" -eq 100

finish
