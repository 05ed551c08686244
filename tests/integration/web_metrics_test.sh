#!/usr/bin/env bash
# /metrics and the access rules of the --web listener, between real processes: counters move
# with traffic (flows, EAS Status, 451s, latency, trace), held requests show while a Ping waits,
# the token guards the page, the API and /metrics (not /ca/), POSTs need the CSRF token and a
# matching Origin, and without a token only loopback Host names are answered.
#   web_metrics_test.sh BUILD_DIR SOURCE_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh" "$1"
SRC=$2
EASPROXY=$BUILD/easproxy
FAKE_CAS=$BUILD/tools/fake-cas
DEVICE=$BUILD/tools/eas-device

make_proxy_cert
start fake-cas "$FAKE_CAS" --config "$SRC/tools/fake-cas/two-sites.toml" --ca-out "$WORK/cas-ca.pem"
wait_for "$WORK/fake-cas.out" "admin url=" 15 || exit 1
CAS_A=$(grep -oE 'site=A cas=cas-a1 url=[^ ]+' "$WORK/fake-cas.out" | sed 's/.*url=//')
ADMIN=$(grep -oE 'admin url=[^ ]+' "$WORK/fake-cas.out" | sed 's/.*url=//')
ORIGIN_A=${CAS_A%/Microsoft-Server-ActiveSync}

TOKEN=$(openssl rand -hex 16)
"$EASPROXY" ca --ca-dir "$WORK/ca" init >/dev/null 2>&1
start easproxy "$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --ca-dir "$WORK/ca" --trace "$WORK/trace.jsonl" --state "" \
  --web 127.0.0.1:0 --web-token "$TOKEN" --on-451 follow
wait_for "$WORK/easproxy.err" "web page on http://" 10 || exit 1
PROXY=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/easproxy.err" | tail -1 | sed 's/listening on //')
WEB=$(grep -oE 'web page on http://127.0.0.1:[0-9]+/' "$WORK/easproxy.err" | sed 's/web page on //')
URL=$PROXY/Microsoft-Server-ActiveSync
AUTH=(-H "Authorization: Bearer $TOKEN")
device() {  # device NAME ARGS...
  local name=$1
  shift
  "$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --ca "$WORK/cas-ca.pem" --retry-delay 0 "$@" \
    >"$WORK/$name.out" 2>&1
}
scrape() { curl -s "${AUTH[@]}" "${WEB}metrics" >"$WORK/$1.prom"; }
value() {  # value SCRAPE 'name{labels}': the sample's value, 0 when absent
  awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$WORK/$1.prom"
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# --- the token ---------------------------------------------------------------------------------------
check "/metrics without the token: 401" test "$(code "${WEB}metrics")" = 401
check "/metrics with a wrong bearer token: 401" test "$(code -H 'Authorization: Bearer nope' "${WEB}metrics")" = 401
check "/metrics with the bearer token: 200" test "$(code "${AUTH[@]}" "${WEB}metrics")" = 200
check "the page without the token: 401 (a form asking for it)" test "$(code "$WEB")" = 401
check "the API without the token: 401" test "$(code "${WEB}api/devices")" = 401
check "the event stream without the token: 401" test "$(code "${WEB}api/events")" = 401
curl -s -D "$WORK/login.head" -o /dev/null "${WEB}?token=$TOKEN"
check "?token= on the page: redirected without the token in the address" contains "$WORK/login.head" '^Location: /\s*$'
check "  ... with an HttpOnly, SameSite=Strict cookie" contains "$WORK/login.head" "^Set-Cookie: easproxy_token=$TOKEN; Path=/; HttpOnly; SameSite=Strict"
check "the cookie opens the page" test "$(code -H "Cookie: easproxy_token=$TOKEN" "$WEB")" = 200
check "a wrong cookie does not" test "$(code -H "Cookie: easproxy_token=x$TOKEN" "$WEB")" = 401
check "the CA page stays public" test "$(code "${WEB}ca/")" = 200
check "  ... and its CA download" test "$(code "${WEB}ca/easproxy-ca.pem")" = 200
check "the page's assets are embedded (no CDN)" bash -c "curl -s -H 'Cookie: easproxy_token=$TOKEN' '${WEB}' '${WEB}assets/app.js' '${WEB}assets/app.css' | grep -Eq 'https?://[a-z]' && exit 1 || exit 0"

# --- counters move with traffic ------------------------------------------------------------------------
scrape before
device sam --user sam --device-id SAMPHONE1 --device-type iPhone --script options,provision,foldersync,sync,sync
check "sam syncs" test $? -eq 0
device legacy --user alex --device-id LEGACY01 --device-type WindowsMobile --behaviour legacy --retries 0 --script foldersync
check "a legacy device is bridged (follow)" test $? -eq 0
# The live view files flows on a thread of its own: wait (bounded) until each exchange is counted.
flows_total() { awk '/^easproxy_flows_total\{/ { n += $2 } END { print n + 0 }' "$WORK/$1.prom"; }
expected=$(($(flows_total before) + $(cat "$WORK/sam.out" "$WORK/legacy.out" | grep -c ' -> HTTP')))
deadline=$((SECONDS + 10))
until scrape after && [ "$(flows_total after)" -ge "$expected" ] || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
check "every exchange the devices made is counted ($(flows_total after) of $expected)" test "$(flows_total after)" -eq "$expected"
check_grew() {  # check_grew 'sample' MIN_INCREASE
  local b a
  b=$(value before "$1")
  a=$(value after "$1")
  check "$1: $b -> $a" awk -v a="$a" -v b="$b" -v d="$2" 'BEGIN { exit !(a - b >= d) }'
}
check_grew 'easproxy_flows_total{command="FolderSync",status="200"}' 2
check_grew 'easproxy_flows_total{command="Sync",status="200"}' 2
check_grew 'easproxy_flows_total{command="none",status="200"}' 1
check_grew 'easproxy_eas_status_total{command="FolderSync",eas_status="1"}' 1
check_grew "easproxy_redirects_seen_total{upstream=\"$ORIGIN_A\"}" 1
check_grew "easproxy_redirects_total{upstream=\"$ORIGIN_A\",decision=\"followed\"}" 1
check_grew 'easproxy_upstream_latency_seconds_count{command="Sync"}' 2
check_grew 'easproxy_upstream_latency_seconds_bucket{command="Sync",le="+Inf"}' 2
check_grew 'easproxy_body_bytes_total{direction="down"}' 100
check "the follow made a binding" test "$(value after easproxy_redirect_bindings)" = 1
check "no trace write errors" test "$(value after easproxy_trace_write_errors_total)" = 0
deadline=$((SECONDS + 10))
until [ "$(curl -s "${AUTH[@]}" "${WEB}metrics" | awk '$1 == "easproxy_trace_records_total" { print $2 }')" -ge 7 ] || [ $SECONDS -ge $deadline ]; do
  sleep 0.05
done
scrape traced
check "trace records are counted ($(value traced easproxy_trace_records_total))" test "$(value traced easproxy_trace_records_total)" -ge 7
check "every sample line is NAME{labels} VALUE or a # HELP/# TYPE line" \
  bash -c "! grep -Ev '^(# (HELP|TYPE) [a-z_]+ .*|[a-z_]+(\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\})? [0-9.e+-]+)$' '$WORK/after.prom'"

# --- a held Ping: in flight, then held (over 5 s), then answered ---------------------------------------
"$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --user sam --device-id SAMPHONE1 \
  --device-type iPhone --script foldersync,ping:60 >"$WORK/held.out" 2>&1 &
HELD=$!
PIDS+=($HELD)
gauge() { curl -s "${AUTH[@]}" "${WEB}metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
wait_gauge() {  # wait_gauge NAME MIN SECONDS
  local deadline=$((SECONDS + $3))
  until [ "$(gauge "$1")" -ge "$2" ] 2>/dev/null; do
    [ $SECONDS -ge "$deadline" ] && return 1
    sleep 0.1
  done
}
check "the Ping is in flight" wait_gauge easproxy_requests_in_flight 1 10
check "  ... on an open device connection" wait_gauge easproxy_device_connections 1 5
check "  ... and counts as held after 5 s" wait_gauge easproxy_requests_held 1 15
curl -s -X POST "$ADMIN/admin/user/sam/new-mail?subject=hello" >/dev/null
wait_exit $HELD 10 && check "the Ping returns when mail arrives" test "$EXIT_STATUS" -eq 0
deadline=$((SECONDS + 5))
until [ "$(gauge easproxy_requests_in_flight)" = 0 ] || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
check "  ... and nothing is in flight any more" test "$(gauge easproxy_requests_in_flight)" = 0
check "  ... nor held" test "$(gauge easproxy_requests_held)" = 0

# --- CSRF: clearing a binding --------------------------------------------------------------------------
CSRF=$(curl -s -H "Cookie: easproxy_token=$TOKEN" "$WEB" | grep -oE 'name="easproxy-csrf" content="[0-9a-f]+"' | sed 's/.*content="//; s/"//')
check "the page carries a CSRF token" test -n "$CSRF"
HOSTPORT=${WEB#http://}
HOSTPORT=${HOSTPORT%/}
post() { curl -s -o "$WORK/post.out" -w '%{http_code}' -X POST -H "Cookie: easproxy_token=$TOKEN" \
  -H 'Content-Type: application/json' "$@" "${WEB}api/bindings/clear"; }
check "POST without the CSRF header: 403" test "$(post -d '{"key":"alex/LEGACY01"}')" = 403
check "POST with a wrong CSRF header: 403" test "$(post -H 'X-CSRF-Token: 00' -d '{"key":"alex/LEGACY01"}')" = 403
check "POST from another origin: 403" \
  test "$(post -H "X-CSRF-Token: $CSRF" -H 'Origin: http://evil.example' -d '{"key":"alex/LEGACY01"}')" = 403
check "  ... says why" contains "$WORK/post.out" 'Origin http://evil.example is not this listener'
check "POST marked cross-site by the browser: 403" \
  test "$(post -H "X-CSRF-Token: $CSRF" -H 'Sec-Fetch-Site: cross-site' -d '{"key":"alex/LEGACY01"}')" = 403
check "the binding survived the refused POSTs" test "$(gauge easproxy_redirect_bindings)" = 1
check "GET on the clear API: 405" test "$(code -H "Cookie: easproxy_token=$TOKEN" "${WEB}api/bindings/clear")" = 405
check "POST with the CSRF header and this origin: 200" \
  test "$(post -H "X-CSRF-Token: $CSRF" -H "Origin: http://$HOSTPORT" -d '{"key":"alex/LEGACY01"}')" = 200
check "  ... the binding is gone" test "$(gauge easproxy_redirect_bindings)" = 0
check "clearing it again: 404" \
  test "$(post -H "X-CSRF-Token: $CSRF" -H "Origin: http://$HOSTPORT" -d '{"key":"alex/LEGACY01"}')" = 404
check "a body that is not {\"key\": ...}: 400" test "$(post -H "X-CSRF-Token: $CSRF" -d 'key=x')" = 400
kill -TERM "$PID_easproxy" && wait_exit "$PID_easproxy" 10

# --- no token (loopback only): Host names other than loopback are refused (DNS rebinding) -------------
start open "$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --state "" --web 127.0.0.1:0
wait_for "$WORK/open.err" "web page on http://" 10 || exit 1
OPEN=$(grep -oE 'web page on http://127.0.0.1:[0-9]+/' "$WORK/open.err" | sed 's/web page on //')
PORT=${OPEN%/}
PORT=${PORT##*:}
check "no token on loopback: the page is open" test "$(code "$OPEN")" = 200
check "  ... /metrics too" test "$(code "${OPEN}metrics")" = 200
check "  ... as localhost" test "$(code -H "Host: localhost:$PORT" "${OPEN}metrics")" = 200
check "  ... but not under another name (421)" test "$(code -H "Host: attacker.example:$PORT" "${OPEN}metrics")" = 421
check "  ... nor the API" test "$(code -H "Host: attacker.example:$PORT" "${OPEN}api/devices")" = 421
kill -TERM "$PID_open" && wait_exit "$PID_open" 10
"$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/proxy.pem" --state "" \
  --web 0.0.0.0:0 >"$WORK/any.out" 2>&1
check "--web off loopback without --web-token is refused" contains "$WORK/any.out" "needs --web-token"
finish
