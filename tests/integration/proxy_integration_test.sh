#!/usr/bin/env bash
# easproxy between real processes on 127.0.0.1: tools/fake-cas (two AD sites,
# both internet-facing: the failover case of the seed article), easproxy in front of site A,
# and tools/eas-device as compliant and legacy devices.
#   proxy_integration_test.sh BUILD_DIR SOURCE_DIR
# Covers reverse mode (pass and follow), regular mode (CONNECT interception, --ignore-hosts),
# bad input, upstream failure, streaming memory, and shutdown.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh" "$1"
SRC=$2
EASPROXY=$BUILD/easproxy
FAKE_CAS=$BUILD/tools/fake-cas
DEVICE=$BUILD/tools/eas-device

# --- set-up: a certificate for the proxy (made now, never committed), the CAS, the proxy ------
make_proxy_cert

start fake-cas "$FAKE_CAS" --config "$SRC/tools/fake-cas/two-sites.toml" --ca-out "$WORK/cas-ca.pem" \
  --ready-file "$WORK/ready.json"
wait_for "$WORK/fake-cas.out" "admin url=" 15 || exit 1
CAS_A=$(grep -oE 'site=A cas=cas-a1 url=[^ ]+' "$WORK/fake-cas.out" | sed 's/.*url=//')
CAS_B=$(grep -oE 'site=B cas=cas-b1 url=[^ ]+' "$WORK/fake-cas.out" | sed 's/.*url=//')
ADMIN=$(grep -oE 'admin url=[^ ]+' "$WORK/fake-cas.out" | sed 's/.*url=//')
ORIGIN_A=${CAS_A%/Microsoft-Server-ActiveSync}

# launch NAME ARGS...: starts easproxy, waits until it listens, sets URL to its EAS endpoint
launch() {
  local name=$1
  shift
  start "$name" "$EASPROXY" "$@"
  wait_for "$WORK/$name.err" "listening on https?://" 10 || exit 1
  URL=$(grep -oE 'listening on https?://127.0.0.1:[0-9]+' "$WORK/$name.err" | tail -1 | sed 's/listening on //')/Microsoft-Server-ActiveSync
}

start_proxy() {
  start easproxy "$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
    --upstream-ca "$WORK/cas-ca.pem" --trace "$WORK/trace.jsonl" --shutdown-grace 3 --threads 2 "$@"
  wait_for "$WORK/easproxy.err" "listening on https://" 10 || exit 1
  PROXY=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/easproxy.err" | tail -1 | sed 's/listening on //')
}
start_proxy
URL=$PROXY/Microsoft-Server-ActiveSync
device() {  # device NAME ARGS...: runs eas-device to completion, output in $WORK/NAME.out
  local name=$1
  shift
  "$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --ca "$WORK/cas-ca.pem" --retry-delay 0 "$@" \
    >"$WORK/$name.out" 2>&1
}

# --- a device homed in site A syncs through the proxy: every command decoded and traced -------
device sam --user sam --device-id SAMPHONE1 --device-type iPhone \
  --script options,provision,foldersync,sync,sync,ping:2,sendmail
check "sam's device completes its script through the proxy" test $? -eq 0
for cmd in Provision FolderSync Sync Ping SendMail; do
  check "log line for $cmd" contains "$WORK/easproxy.err" "sam SAMPHONE1 iPhone $cmd -> 200"
done
check "FolderSync status in words" contains "$WORK/easproxy.err" "FolderSync -> 200 Status 1 \(Success\)"
check "trace has the decoded FolderSync body as XML" wait_for "$WORK/trace.jsonl" '"xml":"<FolderSync xmlns=.*"command":"FolderSync"' 5
check "trace redacts Authorization" wait_for "$WORK/trace.jsonl" 'Basic \[redacted\] \(user sam\)' 5
check "no password in trace or log" bash -c "! grep -q 'Passw0rd\|c2FtOlBhc3N3MHJk' '$WORK/trace.jsonl' '$WORK/easproxy.err'"

# --- the failover case: alex is homed in B; A answers 451 ---------------------------------------
device legacy --user alex --device-id LEGACY01 --device-type WindowsMobile --behaviour legacy --retries 1 \
  --script foldersync
check "a legacy device stays stuck on 451 (passed through)" test $? -eq 1
check "451 logged with X-MS-Location" contains "$WORK/easproxy.err" \
  "alex LEGACY01 WindowsMobile FolderSync -> 451.*X-MS-Location $CAS_B"
check "451 in the trace with its decision" wait_for "$WORK/trace.jsonl" "\"redirect\":\\{\"decision\":\"pass\",\"x_ms_location\":\"$CAS_B\"\\}" 5
device compliant --user alex --device-id IPHONEALEX --device-type iPhone --script foldersync
check "a compliant device follows X-MS-Location to site B" test $? -eq 0
check "  ... and says where it moved" contains "$WORK/compliant.out" "moving to $CAS_B"

# --- base64 query form is decoded in logs and traces ----------------------------------------------
device b64 --user sam --device-id B64DEVICE --device-type Android --query base64 --script provision,foldersync
check "base64-query device completes" test $? -eq 0
check "base64 query decoded in the log" contains "$WORK/easproxy.err" "sam B64DEVICE Android FolderSync -> 200"

# --- a Ping held by the CAS, answered early when mail arrives -----------------------------------
"$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --user sam --device-id SAMPHONE1 \
  --device-type iPhone --script foldersync,ping:60 >"$WORK/held.out" 2>&1 &
HELD=$!
PIDS+=($HELD)
held_parked() { curl -s "$ADMIN/admin/state" | grep -qE '"held_requests":[1-9][0-9]*,"items":\{[^}]*\},"name":"sam"'; }
deadline=$((SECONDS + 10))
until held_parked || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
check "the Ping is held at the CAS through the proxy" held_parked
curl -s -X POST "$ADMIN/admin/user/sam/new-mail?subject=hello" >/dev/null
wait_exit $HELD 10 && check "the held Ping returns when mail arrives" test "$EXIT_STATUS" -eq 0
check "  ... with Status 2" contains "$WORK/held.out" "Ping -> HTTP 200 \(Status 2"

# --- a 100 MB attachment streams through; the proxy's memory stays flat -------------------------
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
PROXY_PID=$PID_easproxy
idle_rss=$(rss_kb "$PROXY_PID")
device bigfetch --user sam --device-id SAMPHONE1 --device-type iPhone --script foldersync,sync,sync,fetch:2%3a4%3a0
check "the 100 MB fetch completes" test $? -eq 0
check "  ... all 100 MB arrived" contains "$WORK/bigfetch.out" "104857[0-9]{3}|100\.0 MB|100 MB"
peak_rss=$(hwm_kb "$PROXY_PID")
growth=$(((peak_rss - idle_rss) / 1024))
echo "proxy RSS idle ${idle_rss} kB, peak ${peak_rss} kB (+${growth} MB) over a 100 MB response"
if [ -n "${EASPROXY_SANITIZED:-}" ]; then
  echo "skip: memory growth under AddressSanitizer (its quarantine holds freed memory)"
else
  check "proxy RSS grows by less than 20 MB while streaming 100 MB" test "$growth" -lt 20
fi
check "the trace notes the body was too large to decode" wait_for "$WORK/trace.jsonl" 'body not decoded: [0-9]+ bytes over' 5

# --- upstream down: the device gets 502, the trace a record, other traffic carries on -----------
curl -s -X POST "$ADMIN/admin/down-mode/refuse" >/dev/null
curl -s -X POST "$ADMIN/admin/site/A/down" >/dev/null
code=$(curl -s -o "$WORK/502.txt" -w '%{http_code}' --cacert "$WORK/proxy.crt" -u sam:Passw0rd -X OPTIONS "$URL")
check "upstream refusing connections gives the device 502" test "$code" = 502
check "  ... with a reason" contains "$WORK/502.txt" "easproxy: connect to"
check "  ... a log line" contains "$WORK/easproxy.err" "upstream connect: connect to .*refused"
check "  ... and a trace record" wait_for "$WORK/trace.jsonl" '"error":\{"answered":502,"reason":"connect to' 5
curl -s -X POST "$ADMIN/admin/site/A/up" >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/proxy.crt" -u sam:Passw0rd -X OPTIONS "$URL")
check "when the upstream is back, traffic flows again" test "$code" = 200

# --- a Ping held its full 30 s heartbeat through the proxy, while other traffic flows -----------
"$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --user sam --device-id SAMPHONE1 \
  --device-type iPhone --script foldersync,ping:30 >"$WORK/held30.out" 2>&1 &
HELD30=$!
PIDS+=($HELD30)
# Meanwhile: SIGHUP reopens the trace (log rotation), and new flows land in the new file.
mv "$WORK/trace.jsonl" "$WORK/trace.jsonl.1"
kill -HUP "$PID_easproxy"
wait_for "$WORK/easproxy.err" "SIGHUP: reopening the trace and log files" 5
device after-hup --user sam --device-id SAMPHONE2 --device-type iPhone --script options
wait_for "$WORK/trace.jsonl" '"id"' 5
check "after SIGHUP new flows go to a new trace file" test $? -eq 0
wait_exit $HELD30 40 && check "a Ping held 30 s is answered (heartbeat expired)" contains "$WORK/held30.out" \
  "Ping -> HTTP 200 \(Status 1.*\) (29[0-9]{3}|30[0-9]{3}) ms"

# --- bad input from devices --------------------------------------------------------------------
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/proxy.crt" -H "X-Big: $big" "$URL")
check "oversized headers get 431" test "$code" = 431
check "  ... with a log line" contains "$WORK/easproxy.err" "malformed request .*exceed .*answered 431"
printf 'BREW /pot HTCPCP/1.0\r\n\r\n' | timeout 5 openssl s_client -quiet -connect "${PROXY#https://}" \
  -CAfile "$WORK/proxy.crt" >"$WORK/garbage-request.out" 2>/dev/null
check "a malformed request line gets 400" contains "$WORK/garbage-request.out" "HTTP/1.1 400"
# (in a subshell: the proxy hangs up, and a write to the closed socket would SIGPIPE this script)
(exec 3<>"/dev/tcp/127.0.0.1/${PROXY##*:}" && printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&3) 2>/dev/null
wait_for "$WORK/easproxy.err" "TLS handshake with the device failed" 5
check "plain HTTP sent to the TLS port is logged as a failed handshake" test $? -eq 0
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/proxy.crt" -u sam:Passw0rd -X OPTIONS "$URL")
check "the proxy still serves after bad input" test "$code" = 200

# --- timeouts: a held Ping outlives --request-timeout; a request head dripping in does not -------
SAVED_URL=$URL
launch easproxy_timeouts --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --request-timeout 2 --state ""
device held-past-timeout --user sam --device-id TIMEOUT1 --device-type iPhone --script provision,foldersync,ping:5
check "a Ping held 5 s is answered through an easproxy with --request-timeout 2" test $? -eq 0
check "  ... at its heartbeat expiry" contains "$WORK/held-past-timeout.out" "Ping -> HTTP 200 \(Status 1"
# One header byte a second (the sleeps pace the drip; nothing waits on them).
hostport=${URL#https://}
hostport=${hostport%%/*}
(printf 'GET /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: x\r\n'
  for i in 1 2 3 4 5 6 7 8; do printf 'a' && sleep 1; done) 2>/dev/null |
  timeout 20 openssl s_client -quiet -connect "$hostport" -CAfile "$WORK/proxy.crt" >/dev/null 2>&1 &
DRIP=$!
PIDS+=($DRIP)
check "a request head still dripping in after --request-timeout is cut, with a log line" \
  wait_for "$WORK/easproxy_timeouts.err" "request head not complete 2 s after its first byte" 6
kill -TERM "$PID_easproxy_timeouts" && wait_exit "$PID_easproxy_timeouts" 5
URL=$SAVED_URL

# --- SIGTERM during a held Ping: shut down within the grace period, trace intact ------------------
"$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --user sam --device-id SAMPHONE1 \
  --device-type iPhone --script foldersync,ping:120 >"$WORK/held2.out" 2>&1 &
PIDS+=($!)
deadline=$((SECONDS + 10))
until held_parked || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
records_before=$(count_lines "$WORK/trace.jsonl" '"v":1')
kill -TERM "$PROXY_PID"
wait_exit "$PROXY_PID" 8 && check "SIGTERM with a held Ping: easproxy exits within the grace period" test "$EXIT_STATUS" -eq 0
check "  ... says so" contains "$WORK/easproxy.err" "SIGTERM: no new connections; 1 in flight"
check "  ... flushes the trace" contains "$WORK/easproxy.err" "flow\(s\) written"
records_after=$(count_lines "$WORK/trace.jsonl" '"v":1')
check "every trace line is a whole record ($records_after)" test "$(wc -l <"$WORK/trace.jsonl")" -eq "$records_after"
check "the trace kept every flow ($records_before before SIGTERM)" test "$records_after" -ge "$records_before"

# --- --log-format json to a --log-file, rotated with SIGHUP; --trace-bodies raw ------------------
start easproxy_json "$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --log-format json --log-file "$WORK/json.log" \
  --trace "$WORK/raw.jsonl" --trace-bodies raw
wait_for "$WORK/json.log" "listening on https://" 10 || exit 1
SAVED_URL=$URL
URL=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/json.log" | sed 's/listening on //')/Microsoft-Server-ActiveSync
device json1 --user alex --device-id JSONPHONE --device-type Android --behaviour legacy --retries 0 --script foldersync
check "a JSON log line per flow, with the flow's fields" contains "$WORK/json.log" \
  '^\{.*"command":"FolderSync".*"device_id":"JSONPHONE".*"http_status":451.*"level":"warning".*"x_ms_location":"https://'
check "  ... and nothing but JSON objects in the file" test "$(grep -cv '^{.*}$' "$WORK/json.log")" -eq 0
check "--trace-bodies raw: the request body as base64, no decoded XML" wait_for "$WORK/raw.jsonl" \
  '"body":\{"bytes":13,"kind":"wbxml","raw_base64":"AwFqAAAHVlIDMAABAQ=="\}' 5
mv "$WORK/json.log" "$WORK/json.log.1"
kill -HUP "$PID_easproxy_json"
wait_for "$WORK/json.log" "SIGHUP: log reopened" 5
check "SIGHUP reopens the log file (log rotation)" test $? -eq 0
device json2 --user sam --device-id JSONPHONE2 --device-type Android --script provision
check "  ... and new lines go to the new file" wait_for "$WORK/json.log" '"device_id":"JSONPHONE2"' 5
check "  ... not the rotated one" test "$(count_lines "$WORK/json.log.1" JSONPHONE2)" -eq 0
kill -TERM "$PID_easproxy_json" && wait_exit "$PID_easproxy_json" 5
URL=$SAVED_URL

# --- --on-451 follow: the legacy device is bridged to site B through easproxy ----------------------
launch easproxy_follow --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --trace "$WORK/follow.jsonl" --on-451 follow
device legacy-followed --user alex --device-id LEGACY01 --device-type WindowsMobile --behaviour legacy --retries 0 \
  --script foldersync,sync,sync
check "with --on-451 follow the legacy device syncs" test $? -eq 0
check "  ... it never saw the 451" bash -c "! grep -q 'HTTP 451' '$WORK/legacy-followed.out'"
check "  ... the follow is logged loudly" contains "$WORK/easproxy_follow.err" \
  "warning alex LEGACY01 WindowsMobile FolderSync -> 200.*after HTTP 451 from https://127.0.0.1:[0-9]+ followed to ${CAS_B%/Microsoft-Server-ActiveSync}"
check "  ... and traced" wait_for "$WORK/follow.jsonl" '"decision":"followed"' 5
check "  ... later requests go to site B directly (bound)" wait_for "$WORK/follow.jsonl" \
  "\"command\":\"Sync\".*\"upstream\":\"${CAS_B%/Microsoft-Server-ActiveSync}\"" 5
# The bound upstream goes down: 502 and the binding is dropped; when it is back, the device is
# redirected and followed again.
curl -s -X POST "$ADMIN/admin/down-mode/refuse" >/dev/null
curl -s -X POST "$ADMIN/admin/site/B/down" >/dev/null
device bound-down --user alex --device-id LEGACY01 --device-type WindowsMobile --behaviour legacy --retries 0 \
  --script foldersync
check "a binding whose upstream is down gives 502" contains "$WORK/bound-down.out" "HTTP 502"
check "  ... and is dropped, with a log line saying so" contains "$WORK/easproxy_follow.err" "redirect binding for this device is dropped"
curl -s -X POST "$ADMIN/admin/site/B/up" >/dev/null
device bound-back --user alex --device-id LEGACY01 --device-type WindowsMobile --behaviour legacy --retries 0 \
  --script foldersync
check "when it is back, the device is followed there again and syncs" test $? -eq 0
check "  ... through a new 451 from site A" test "$(count_lines "$WORK/follow.jsonl" '"decision":"followed"')" -ge 2
kill -USR1 "$PID_easproxy_follow"
wait_for "$WORK/easproxy_follow.err" "redirects https://127.0.0.1:[0-9]+: 451 seen [1-9][0-9]*, passed 0, followed [1-9]" 5
check "SIGUSR1 prints the redirect counters per upstream" test $? -eq 0
kill -TERM "$PID_easproxy_follow" && wait_exit "$PID_easproxy_follow" 5
"$EASPROXY" redirects list >"$WORK/redirects.txt" 2>&1
check "easproxy redirects list shows the binding after a stop" contains "$WORK/redirects.txt" \
  "^alex/LEGACY01 -> ${CAS_B}  \(until "
start easproxy_follow2 "$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --trace "$WORK/follow2.jsonl" --on-451 follow
wait_for "$WORK/easproxy_follow2.err" "listening on https://" 10 || exit 1
check "a restarted easproxy says it kept the bindings" contains "$WORK/easproxy_follow2.err" "redirect binding\(s\) kept from"
URL=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/easproxy_follow2.err" | sed 's/listening on //')/Microsoft-Server-ActiveSync
device legacy-again --user alex --device-id LEGACY01 --device-type WindowsMobile --behaviour legacy --retries 0 \
  --script foldersync
check "after the restart the bound device goes to site B directly" test $? -eq 0
check "  ... with no 451 on the way" bash -c "! grep -q x_ms_location '$WORK/follow2.jsonl'"
kill -TERM "$PID_easproxy_follow2" && wait_exit "$PID_easproxy_follow2" 5
"$EASPROXY" redirects clear alex/LEGACY01 >"$WORK/clear.txt" 2>&1
check "easproxy redirects clear forgets one binding" contains "$WORK/clear.txt" "cleared 1 binding"
"$EASPROXY" redirects clear >/dev/null 2>&1

# A misconfigured organisation: A says "go to B", B says "go to A".
launch easproxy_loop --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --on-451 follow --state "$WORK/loop-state.json"
curl -s -X POST "$ADMIN/admin/loop/on" >/dev/null
device loop --user sam --device-id LOOP01 --device-type WindowsMobile --behaviour legacy --retries 0 --script foldersync
check "a redirect loop is not followed round and round: the device gets the 451" test $? -eq 1
check "  ... and the log names the loop" contains "$WORK/easproxy_loop.err" "not followed: redirect loop: ${ORIGIN_A} was already asked"
curl -s -X POST "$ADMIN/admin/loop/off" >/dev/null
kill -TERM "$PID_easproxy_loop" && wait_exit "$PID_easproxy_loop" 5

launch easproxy_replay --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --on-451 follow --replay-limit 8 --state "$WORK/replay-state.json"
device replay --user alex --device-id REPLAY01 --device-type WindowsMobile --behaviour legacy --retries 0 \
  --script foldersync
check "a request body over the replay bound is not followed: the 451 goes to the device" test $? -eq 1
check "  ... with the reason" contains "$WORK/easproxy_replay.err" "not followed: the request body is over the 8-byte replay bound"
kill -TERM "$PID_easproxy_replay" && wait_exit "$PID_easproxy_replay" 5

launch easproxy_refuse --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --on-451 follow --follow-allow mail.contoso.com
device legacy-refused --user alex --device-id LEGACY01 --device-type WindowsMobile --behaviour legacy --retries 0 \
  --script foldersync
check "a redirect to a host off the allowlist is not followed" test $? -eq 1
check "  ... and says why" contains "$WORK/easproxy_refuse.err" "451 to .* not followed: host 127.0.0.1 is not on the follow allowlist"
kill -TERM "$PID_easproxy_refuse" && wait_exit "$PID_easproxy_refuse" 5
check "  ... and counts it by reason at shutdown" contains "$WORK/easproxy_refuse.err" "refused 1 \(allowlist 1\)"

# --- per-device rules: follow for the legacy DeviceType, pass for the rest (the seed case) --------
cat >"$WORK/rules.toml" <<'TOML'
on-451 = "pass"

[[rule]]
name = "legacy Windows Mobile"
device_type = "WindowsMobile"
on_451 = "follow"

[[rule]]
user_agent = "~^Broken/"
on_451 = "rewrite"
TOML
start easproxy_rules "$EASPROXY" --config "$WORK/rules.toml" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 \
  --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas-ca.pem" --trace "$WORK/rules.jsonl"
wait_for "$WORK/easproxy_rules.err" "listening on https://" 10 || exit 1
check "the rules are announced at start" contains "$WORK/easproxy_rules.err" "rule 1 \(legacy Windows Mobile\): 451 follow"
URL=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/easproxy_rules.err" | sed 's/listening on //')/Microsoft-Server-ActiveSync
RULES_URL=$URL
device rules-legacy --user alex --device-id WMRULE01 --device-type WindowsMobile --behaviour legacy --retries 0 \
  --script foldersync
check "the rule makes easproxy follow for the legacy DeviceType" test $? -eq 0
device rules-iphone --user alex --device-id IPRULE01 --device-type iPhone --script foldersync
check "  ... while an iPhone gets the 451 itself (pass) and moves on its own" contains "$WORK/rules-iphone.out" "451: moving to $CAS_B"

# --- the seed document's failover: both sites internet-facing, easproxy in front of each ---------
# Site B advertises the easproxy in front of it as its ExternalUrl, so the 451 from A sends
# compliant devices (pass) to it, and easproxy A follows to it for the legacy DeviceType.
cat "$WORK/cas-ca.pem" "$WORK/proxy.crt" >"$WORK/both-ca.pem"
start easproxy_b "$EASPROXY" --mode "reverse:${CAS_B%/Microsoft-Server-ActiveSync}" --listen 127.0.0.1:0 \
  --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas-ca.pem" --state "$WORK/b-state.json"
wait_for "$WORK/easproxy_b.err" "listening on https://" 10 || exit 1
PROXY_B=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/easproxy_b.err" | sed 's/listening on //')
curl -s -X POST "$ADMIN/admin/cas/cas-b1/advertise?url=$PROXY_B/Microsoft-Server-ActiveSync" >/dev/null
launch easproxy_dr --config "$WORK/rules.toml" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 \
  --cert "$WORK/proxy.pem" --upstream-ca "$WORK/both-ca.pem" --state "$WORK/dr-state.json"
device dr-iphone --user alex --device-id DRIPHONE1 --device-type iPhone --script foldersync,sync,sync
check "failover: the compliant phone (pass) follows the 451 itself and syncs" test $? -eq 0
check "  ... through the easproxy in front of site B" contains "$WORK/easproxy_b.err" "alex DRIPHONE1 iPhone Sync -> 200"
device dr-legacy --user alex --device-id DRLEGACY1 --device-type WindowsMobile --behaviour legacy --retries 0 \
  --script foldersync,sync,sync
check "failover: the legacy device (follow) syncs too" test $? -eq 0
check "  ... easproxy A followed to easproxy B on its behalf" contains "$WORK/easproxy_dr.err" \
  "alex DRLEGACY1 WindowsMobile FolderSync -> 200.*followed to $PROXY_B"
check "  ... and its traffic reached site B through easproxy B" contains "$WORK/easproxy_b.err" "alex DRLEGACY1 WindowsMobile Sync -> 200"
curl -s -X POST "$ADMIN/admin/cas/cas-b1/advertise" >/dev/null
kill -TERM "$PID_easproxy_dr" "$PID_easproxy_b"
wait_exit "$PID_easproxy_dr" 5
wait_exit "$PID_easproxy_b" 5

# --- rewrite: the device is told to come back to easproxy, which sends it to site B -------------
URL=$RULES_URL
device rewritten --user alex --device-id BROKEN01 --device-type Phone --user-agent 'Broken/1.0' \
  --script foldersync,sync
check "a rewritten 451 brings the compliant device back through easproxy, and it syncs" test $? -eq 0
check "  ... the device was sent to easproxy's own URL" contains "$WORK/rewritten.out" "451: moving to $URL"
check "  ... the rewrite is logged" contains "$WORK/easproxy_rules.err" "HTTP 451 rewritten: the device is told $URL"
check "  ... and its later requests went to site B through easproxy" wait_for "$WORK/rules.jsonl" \
  "\"command\":\"Sync\".*\"upstream\":\"${CAS_B%/Microsoft-Server-ActiveSync}\"" 5
printf '[[rule]]\ndevice_type = "x"\non_451 = "sometimes"\n' >"$WORK/bad.toml"
"$EASPROXY" --config "$WORK/bad.toml" --mode "reverse:$ORIGIN_A" >"$WORK/badconfig.out" 2>&1
check "a bad rule is refused at start, naming the rule" contains "$WORK/badconfig.out" "rule 1 needs on_451"
kill -TERM "$PID_easproxy_rules" && wait_exit "$PID_easproxy_rules" 5

# --- regular mode: an explicit proxy; CONNECT intercepted with a leaf minted from --ca-dir -------
start regular "$EASPROXY" --mode regular --ca-dir "$WORK/ca" --listen 127.0.0.1:0 \
  --upstream-ca "$WORK/cas-ca.pem" --trace "$WORK/regular.jsonl" --ignore-hosts '^localhost$'
wait_for "$WORK/regular.err" "listening on http://" 10 || exit 1
REGULAR=$(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$WORK/regular.err" | sed 's/listening on //')
check "the CA is created with its key readable by its owner only" test "$(stat -c %a "$WORK/ca/ca-key.pem")" = 600
code=$(curl -s -o /dev/null -w '%{http_code}' -x "$REGULAR" --cacert "$WORK/ca/ca-cert.pem" -u sam:Passw0rd -X OPTIONS "$CAS_A")
check "a client trusting only the CA reaches the CAS through CONNECT" test "$code" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' -x "$REGULAR" --cacert "$WORK/ca/ca-cert.pem" -u alex:Passw0rd -X POST \
  -H 'MS-ASProtocolVersion: 14.1' "$CAS_A?Cmd=FolderSync&User=alex&DeviceId=CURL1&DeviceType=curl")
check "  ... and sees the 451, logged by easproxy" test "$code" = 451
check "  ... decoded in the log" contains "$WORK/regular.err" "alex CURL1 curl FolderSync -> 451"
check "the minted leaf names the host (SAN IP 127.0.0.1)" bash -c "echo | openssl s_client -proxy '${REGULAR#http://}' \
  -connect '${ORIGIN_A#https://}' -CAfile '$WORK/ca/ca-cert.pem' -verify_return_error 2>/dev/null | grep -q 'Verify return code: 0'"
LOCALHOST_A=${CAS_A/127.0.0.1/localhost}
code=$(curl -s -o /dev/null -w '%{http_code}' -x "$REGULAR" --cacert "$WORK/cas-ca.pem" -u sam:Passw0rd -X OPTIONS "$LOCALHOST_A")
check "--ignore-hosts tunnels untouched (the client sees the CAS's own certificate)" test "$code" = 200
check "  ... and says so" contains "$WORK/regular.err" "CONNECT localhost:[0-9]+ tunnelled untouched"
curl -s -x "$REGULAR" -w '%{http_code}\n' -o /dev/null "http://127.0.0.1:1/a" -o /dev/null "http://127.0.0.1:1/b" >"$WORK/two.txt"
check "plain HTTP through the proxy: an unreachable host gives 502, twice on one connection" \
  test "$(tr -d '\n' <"$WORK/two.txt")" = 502502
chmod 644 "$WORK/ca/ca-key.pem"
"$EASPROXY" --mode regular --ca-dir "$WORK/ca" --listen 127.0.0.1:0 >"$WORK/badkey.out" 2>&1
check "a CA key readable by others is refused" test $? -eq 2
check "  ... with a clear message" contains "$WORK/badkey.out" "readable by group or others \(mode 644\)"

finish
