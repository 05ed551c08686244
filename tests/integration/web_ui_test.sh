#!/usr/bin/env bash
# The live view end to end, in headless Chromium driven over the DevTools protocol by
# tests/web/web_ui_check.js (Node, standard library only): tools/fake-cas (two AD sites),
# easproxy in front of site A with --on-451 rewrite (a binding) and a pass rule for one legacy
# model (a device that ignores its 451), tools/eas-device for the traffic.
#   web_ui_test.sh BUILD_DIR SOURCE_DIR
# Leaves a screenshot of the page at BUILD_DIR/web-ui-test/web-ui.png. Exits 77 (skipped)
# when Chromium or Node is missing (scripts/setup.sh installs both).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD_ARG=$1
SRC=$2
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
NODE=$(command -v node || command -v nodejs || true)
if [ -z "$CHROMIUM" ] || [ -z "$NODE" ]; then
  echo "skip: needs chromium and nodejs (scripts/setup.sh installs them)"
  exit 77
fi
source "$here/lib.sh" "$BUILD_ARG"
EASPROXY=$BUILD/easproxy
FAKE_CAS=$BUILD/tools/fake-cas
DEVICE=$BUILD/tools/eas-device
SHOT=$BUILD/web-ui-test/web-ui.png
rm -f "$SHOT"

# --- set-up ------------------------------------------------------------------------------------
make_proxy_cert
start fake-cas "$FAKE_CAS" --config "$SRC/tools/fake-cas/two-sites.toml" --ca-out "$WORK/cas-ca.pem"
wait_for "$WORK/fake-cas.out" "admin url=" 15 || exit 1
CAS_A=$(grep -oE 'site=A cas=cas-a1 url=[^ ]+' "$WORK/fake-cas.out" | sed 's/.*url=//')
CAS_B=$(grep -oE 'site=B cas=cas-b1 url=[^ ]+' "$WORK/fake-cas.out" | sed 's/.*url=//')
ORIGIN_A=${CAS_A%/Microsoft-Server-ActiveSync}

cat >"$WORK/easproxy.toml" <<'TOML'
on-451 = "rewrite"

[[rule]]
name = "stubborn Nokia"
device_type = "Nokia"
on_451 = "pass"
TOML
TOKEN=$(openssl rand -hex 16)
"$EASPROXY" ca --ca-dir "$WORK/ca" init >/dev/null 2>&1
start easproxy "$EASPROXY" --config "$WORK/easproxy.toml" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 \
  --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas-ca.pem" --ca-dir "$WORK/ca" --trace "$WORK/trace.jsonl" \
  --state "$WORK/state.json" --web 127.0.0.1:0 --web-token "$TOKEN" --threads 2
wait_for "$WORK/easproxy.err" "web page on http://" 10 || exit 1
PROXY=$(grep -oE 'listening on https://127.0.0.1:[0-9]+' "$WORK/easproxy.err" | tail -1 | sed 's/listening on //')
WEB=$(grep -oE 'web page on http://127.0.0.1:[0-9]+/' "$WORK/easproxy.err" | sed 's/web page on //')
URL=$PROXY/Microsoft-Server-ActiveSync
device() {  # device NAME ARGS...
  local name=$1
  shift
  "$DEVICE" --url "$URL" --password Passw0rd --ca "$WORK/proxy.crt" --ca "$WORK/cas-ca.pem" --retry-delay 0 "$@" \
    >"$WORK/$name.out" 2>&1
}
metric() {  # metric NAME_AND_LABELS: its value in /metrics (0 when absent)
  curl -s -H "Authorization: Bearer $TOKEN" "${WEB}metrics" | awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }'
}

# --- traffic before the page loads -------------------------------------------------------------
device sam --user sam --device-id SAMPHONE1 --device-type iPhone --script options,provision,foldersync,sync
check "sam syncs through easproxy" test $? -eq 0
device legacy --user alex --device-id LEGACY01 --device-type WindowsMobile --behaviour legacy --retries 1 \
  --script foldersync,sync
check "a legacy device is bridged by a rewritten 451" test $? -eq 0
device nokia --user alex --device-id NOKIA01 --device-type Nokia --behaviour legacy --retries 1 --script foldersync
check "a legacy device under the pass rule stays stuck on its 451" test $? -eq 1
check "the state file holds the binding of alex/LEGACY01" contains "$WORK/state.json" '"key": "alex/LEGACY01"'
check "  ... to site B" contains "$WORK/state.json" "\"upstream\": \"${CAS_B}\""
# The live view files flows on a thread of its own: wait (bounded) until it has every exchange.
EXCHANGES=$(cat "$WORK/sam.out" "$WORK/legacy.out" "$WORK/nokia.out" | grep -c ' -> HTTP')
deadline=$((SECONDS + 10))
until [ "$(metric easproxy_live_flows_kept)" -ge "$EXCHANGES" ] || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
ROWS=$(metric easproxy_live_flows_kept)
check "the live view keeps every exchange so far ($ROWS of $EXCHANGES)" test "$ROWS" -eq "$EXCHANGES"

# --- the page in Chromium ------------------------------------------------------------------------
LIVE_TRAFFIC="'$DEVICE' --url '$URL' --password Passw0rd --ca '$WORK/proxy.crt' --ca '$WORK/cas-ca.pem' \
--user sam --device-id LIVEPHONE1 --device-type Android --script provision,foldersync >'$WORK/live.out' 2>&1"
CHROMIUM=$CHROMIUM WEB=$WEB TOKEN=$TOKEN MIN_ROWS=$ROWS LIVE_TRAFFIC=$LIVE_TRAFFIC LIVE_DEVICE=LIVEPHONE1 \
  CAS_B=$CAS_B BINDING_KEY=alex/LEGACY01 IGNORED_KEY=alex/NOKIA01 SCREENSHOT=$SHOT \
  timeout 120 "$NODE" "$SRC/tests/web/web_ui_check.js" >"$WORK/browser.out" 2>&1
status=$?
sed 's/^/  | /' "$WORK/browser.out"
check "the browser checks pass" test "$status" -eq 0

# --- what the page did, seen from outside ----------------------------------------------------------
check "the cleared binding is gone from the state file" bash -c "! grep -q 'alex/LEGACY01' '$WORK/state.json'"
check "  ... and from /metrics" test "$(metric easproxy_redirect_bindings)" = 0
check "  ... and easproxy logs who cleared it" contains "$WORK/easproxy.err" "web: redirect binding alex/LEGACY01 cleared from the live view"
check "the screenshot is a PNG" bash -c "head -c 8 '$SHOT' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
[ -f "$SHOT" ] && echo "screenshot: $SHOT ($(stat -c %s "$SHOT") bytes)"

# An event stream left open (as a forgotten browser tab would) does not hold up shutdown.
start sse curl -sN -H "Authorization: Bearer $TOKEN" "${WEB}api/events"
check "the event stream replays the flows kept, with their ids" wait_for "$WORK/sse.out" '^id: [0-9]+$' 10
check "  ... as flow events" contains "$WORK/sse.out" '^event: flow$'
kill -TERM "$PID_easproxy" && wait_exit "$PID_easproxy" 10
check "easproxy stops cleanly with an event stream open" test "${EXIT_STATUS:-1}" -eq 0
finish
