#!/usr/bin/env bash
# Faults under load: while eas-device traffic runs through easproxy in front of tools/fake-cas,
# inject one fault after another and check, for each, that easproxy is still alive, serves a
# normal request again within 1 s of the fault's end (measured), and traced the flows that
# failed. See tools/bench/README.md.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: tools/bench/faults.sh [options]

  --build DIR     build directory (default: build; see soak.sh)
  --jobs N        parallel build jobs (default 1)
  --only LIST     run only these steps (comma list of the names below)
  --out FILE      JSON results (default /tmp/easproxy-faults-DATE.json)
  --keep          keep the work directory (traces, logs) on tmpfs
  -h, --help      this text

Steps (each named, with PASS/FAIL per check; exit status 0 when every check passed):
  upstream-restart   fake-cas killed (SIGKILL) with requests in flight, down 2 s, started again
                     on the same ports
  upstream-reset     an upstream (bench-upstream /reset) sends part of a promised body, then RST
  slowloris          200 TLS connections each sending one header byte every 2 s
  flood              1000 TCP connections at once against an easproxy started with ulimit -n 256, so
                     past its --max-connections (by default what the descriptors allow: 96)
  garbage-tls        random bytes, and plain HTTP, sent to the TLS port
  renegotiation      TLS 1.2 client-initiated renegotiation (openssl s_client, "R"), and a TLS 1.3
                     KeyUpdate
After each: easproxy alive; first successful request after the fault's end within 1000 ms;
failed flows that reached HTTP have trace records; background devices succeed again.
EOF
}

SL_NAME=faults
BUILD=
JOBS=1
ONLY=
OUT=/tmp/easproxy-faults-$(date +%Y%m%d-%H%M%S).json
KEEP=
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --out) OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "faults.sh: unknown option $1 (--help)" >&2; exit 2 ;;
  esac
  shift
done
source "$(dirname "${BASH_SOURCE[0]}")/soak_lib.sh"
ABUSE=$SL_REPO/tools/bench/abuse_client.py
REQUEST_TIMEOUT=5  # easproxy --request-timeout here: how long a request head may take

# --- checks, in the style of tests/integration/lib.sh; results as TSV for the JSON ------------
PASSED=0
FAILED=0
STEP=setup
: "${WORK:=}"
ok() { PASSED=$((PASSED + 1)); echo "  PASS  $1"; printf '%s\t%s\t%s\n' "$STEP" PASS "$1" >>"$WORK/checks.tsv"; }
bad() { FAILED=$((FAILED + 1)); SL_FAILED=1; echo "  FAIL  $1"; printf '%s\t%s\t%s\n' "$STEP" FAIL "$1" >>"$WORK/checks.tsv"; }
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
figure() { printf '%s\t%s\t%s\n' "$STEP" "$1" "$2" >>"$WORK/figures.tsv"; }  # figure KEY VALUE
want() { [ -z "$ONLY" ] || case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
step() { STEP=$1; echo; echo "== $1: $2"; }

sl_build
sl_workdir
ulimit -n "$(ulimit -Hn)" 2>/dev/null
: >"$WORK/checks.tsv"
: >"$WORK/figures.tsv"
echo "work directory $WORK"
sl_certs
sl_cas_config
sl_start_cas || sl_die "fake-cas did not start"
cat >"$WORK/rules.toml" <<'EOF'
[[rule]]
name = "legacy Windows Mobile"
device_type = "WindowsMobile"
on_451 = "follow"
EOF
PROXY_PORT=$(free_port)
sl_start_proxy easproxy "$PROXY_PORT" --config "$WORK/rules.toml" --threads 2 \
  --request-timeout "$REQUEST_TIMEOUT" || sl_die "easproxy did not start"
MAIN_PID=$PROXY_PID
PURL=https://127.0.0.1:$PROXY_PORT/Microsoft-Server-ActiveSync
TRACE=$WORK/easproxy.jsonl
LOG=$WORK/easproxy.log
echo "fake-cas $CAS_A / $CAS_B (pid $CAS_PID); easproxy $PURL (pid $MAIN_PID, --request-timeout $REQUEST_TIMEOUT)"

# --- background traffic: devices restarted when a fault fails them ----------------------------
common=(--url "$PURL" --password Passw0rd --ca "$WORK/proxy.crt" --ca "$WORK/cas.crt" --retry-delay 0 --timeout 20)
for i in 1 2; do
  device_loop "sync$i" 0.5 "${common[@]}" --user sam --device-id "BGSYNC$i" --device-type iPhone \
    --script provision,foldersync,sync --loop --interval 0.3
done
device_loop ping 0.5 "${common[@]}" --user sam --device-id BGPING --device-type Android \
  --script provision,foldersync,ping:2 --loop --interval 0.2
device_loop folder 0.5 "${common[@]}" --user sam --device-id BGFOLDER --device-type iPad \
  --script provision,repeat,foldersync --interval 0.5
device_loop send 0.5 "${common[@]}" --user sam --device-id BGSEND --device-type iPhone \
  --script provision,foldersync,sendmail --loop --interval 1
device_loop follow 1 "${common[@]}" --user alex --device-id "BGWM{n}" --device-type WindowsMobile \
  --behaviour legacy --retries 0 --script provision,foldersync,sync

# Exchanges of the background devices through the main easproxy, and how many failed.
bg_lines() { cat "$WORK"/dev-*.jsonl 2>/dev/null | grep "\"url\":\"$PURL"; }
bg_total() { bg_lines | wc -l; }
bg_ok() { bg_lines | grep -c '"http_status":200' || true; }
bg_failed() { bg_lines | grep -cE '"http_status":(null|5[0-9][0-9])' || true; }
bg_failed_http() { bg_lines | grep -cE '"http_status":5[0-9][0-9]' || true; }
trace_errors() { grep -c '"error":{' "$1" 2>/dev/null || true; }
alive() { kill -0 "$1" 2>/dev/null; }
# more_ok N SECONDS: until the background devices have N more 200s than now
more_ok() {
  local want=$(($(bg_ok) + $1)) deadline=$((SECONDS + $2))
  until [ "$(bg_ok)" -ge "$want" ]; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}
# snapshot: counts at the start of a step; step_deltas: what the step added
snapshot() { S_TOTAL=$(bg_total); S_FAILED=$(bg_failed); S_HTTPFAIL=$(bg_failed_http); S_TERR=$(trace_errors "$TRACE"); S_LOGW=$(lines "$LOG"); }
step_deltas() {
  D_TOTAL=$(($(bg_total) - S_TOTAL))
  D_FAILED=$(($(bg_failed) - S_FAILED))
  D_HTTPFAIL=$(($(bg_failed_http) - S_HTTPFAIL))
  D_TERR=$(($(trace_errors "$TRACE") - S_TERR))
  figure background_exchanges "$D_TOTAL"
  figure background_failed "$D_FAILED"
  figure background_failed_with_http_status "$D_HTTPFAIL"
  figure trace_error_records "$D_TERR"
  echo "  background during the step: $D_TOTAL exchanges, $D_FAILED failed ($D_HTTPFAIL with an HTTP status from easproxy), trace error records +$D_TERR"
}
recovery() {  # recovery URL: measures and checks the first successful request after the fault
  local ms
  ms=$(first_ok_ms "$1" 10)
  figure recovery_ms "$ms"
  check "first successful request ${ms} ms after the fault's end (limit 1000 ms)" test "$ms" -ge 0 -a "$ms" -le 1000
}
log_since() { tail -n "+$((S_LOGW + 1))" "$LOG"; }

check "background traffic flows before any fault" more_ok 20 60

# --- 1. upstream restart ------------------------------------------------------------------------------
if want upstream-restart; then
  step upstream-restart "fake-cas killed with requests in flight, down 2 s, started again on the same ports"
  snapshot
  more_ok 5 20 >/dev/null
  kill -KILL "$CAS_PID"
  wait "$CAS_PID" 2>/dev/null
  sl_forget "$CAS_PID"
  sleep 2  # the outage itself: the devices keep sending meanwhile
  check "easproxy alive while the upstream is down" alive "$MAIN_PID"
  sl_start_cas fake-cas-2
  check "fake-cas restarted on the same ports" test $? -eq 0
  recovery "$PURL"
  check "background devices succeed again (20 more 200s within 30 s)" more_ok 20 30
  step_deltas
  check "easproxy alive" alive "$MAIN_PID"
  check "the outage failed some requests (the fault took effect)" test "$D_FAILED" -gt 0
  check "every request easproxy answered 5xx has a trace record with its error ($D_TERR >= $D_HTTPFAIL)" \
    test "$D_TERR" -ge "$D_HTTPFAIL"
  check "  ... and a log line saying why" bash -c "tail -n +$((S_LOGW + 1)) '$LOG' | grep -qE 'upstream (connect|response|request).*(refused|closed|reset|broke off)'"
fi

# --- 2. upstream reset mid-body ---------------------------------------------------------------------
if want upstream-reset; then
  step upstream-reset "an upstream promises 1 MB, sends 256 KB, then resets the connection (20 requests, with other requests through the same easproxy)"
  UP_PORT=$(free_port)
  start bench-upstream "$UPSTREAM_BIN" --listen "127.0.0.1:$UP_PORT" --cert "$WORK/cas.crt" --key "$WORK/cas.key" \
    --body "$WORK/cas.crt"
  UPS_PID=$LAST_PID
  wait_port "$UP_PORT" 10 "$UPS_PID" || sl_die "bench-upstream did not start"
  RPORT=$(free_port)
  start easproxy-reset "$EASPROXY" --mode "reverse:https://127.0.0.1:$UP_PORT" --listen "127.0.0.1:$RPORT" \
    --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas.crt" --trace "$WORK/reset.jsonl" --log-file "$WORK/reset.log" \
    --state "" --threads 2
  RESET_PID=$LAST_PID
  wait_for "$WORK/reset.log" "listening on https://" 15 >/dev/null || sl_die "easproxy (reset) did not start"
  RURL=https://127.0.0.1:$RPORT
  # Background through this easproxy: keep-alive Syncs, 50 per curl, again and again.
  (
    args=()
    for i in $(seq 1 50); do args+=(-o /dev/null "$RURL/Microsoft-Server-ActiveSync?Cmd=Sync&User=sam&DeviceId=BGCURL&DeviceType=curl"); done
    while [ ! -e "$WORK/stop-reset-bg" ]; do
      curl -s --cacert "$WORK/proxy.crt" -u sam:Passw0rd -X POST -w '%{http_code}\n' --max-time 20 "${args[@]}" >>"$WORK/reset-bg.codes"
    done
  ) &
  RESET_BG=$!
  SL_PIDS+=("$RESET_BG")
  wait_for "$WORK/reset-bg.codes" '^200$' 15 >/dev/null
  bg0=$(lines "$WORK/reset-bg.codes")
  t0=$(lines "$WORK/reset.jsonl")
  for i in $(seq 1 20); do
    curl -s --cacert "$WORK/proxy.crt" --max-time 20 -o /dev/null -w '%{http_code} %{size_download} %{exitcode}\n' \
      "$RURL/reset?bytes=1048576&after=262144" >>"$WORK/reset-cut.out" 2>&1 &
    RESET_CURLS+=($!)
  done
  cut_ok=1
  for pid in "${RESET_CURLS[@]}"; do wait_exit "$pid" 30 || cut_ok=0; done
  recovery "$RURL/Microsoft-Server-ActiveSync"
  figure cut_downloads "$(grep -cvE '^200 1048576 0$' "$WORK/reset-cut.out")"
  check "every cut download ended (no hang) with an error at the client" \
    test "$cut_ok" = 1 -a "$(grep -cE '^200 1048576 0$' "$WORK/reset-cut.out")" -eq 0 -a "$(lines "$WORK/reset-cut.out")" -eq 20
  check "easproxy alive" alive "$RESET_PID"
  cut_count() { tail -n "+$((t0 + 1))" "$WORK/reset.jsonl" | grep -c '"reason":"the upstream broke off the response after [0-9]* body bytes' || true; }
  deadline=$((SECONDS + 5))  # records are written by easproxy's trace thread: wait for them, bounded
  until [ "$(cut_count)" -ge 20 ] || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
  cut_traced=$(cut_count)
  figure cut_trace_records "$cut_traced"
  check "each of the 20 cut responses has a trace record saying how far it got ($cut_traced)" test "$cut_traced" -eq 20
  check "  ... and a log line" test "$(grep -c 'upstream response: the upstream broke off the response after' "$WORK/reset.log")" -ge 20
  touch "$WORK/stop-reset-bg"
  wait_exit "$RESET_BG" 30
  bgn=$(($(lines "$WORK/reset-bg.codes") - bg0))
  bgbad=$(tail -n "+$((bg0 + 1))" "$WORK/reset-bg.codes" | grep -cv '^200$' || true)
  figure background_exchanges "$bgn"
  figure background_failed "$bgbad"
  check "other requests through the same easproxy were unaffected ($bgn, $bgbad failed)" test "$bgbad" -eq 0 -a "$bgn" -gt 0
  stop_pid "$RESET_PID" TERM 10
  check "  ... and it exits 0 on SIGTERM" test "$SL_EXIT" -eq 0
  stop_pid "$UPS_PID"
fi

# --- 3. slowloris ------------------------------------------------------------------------------------
if want slowloris; then
  step slowloris "200 TLS connections each sending one header byte every 2 s (easproxy --request-timeout $REQUEST_TIMEOUT)"
  snapshot
  fds0=$(fd_count "$MAIN_PID")
  LORIS_FOR=$((REQUEST_TIMEOUT * 4 + 10))
  start slowloris python3 "$ABUSE" slowloris "127.0.0.1:$PROXY_PORT" -n 200 --every 2 --for "$LORIS_FOR" --tls
  LORIS_PID=$LAST_PID
  # While the attack runs: normal requests are served.
  wait_for "$LOG" "." 1 >/dev/null
  during=$(first_ok_ms "$PURL" 10)
  figure ms_to_serve_during_attack "$during"
  check "a normal request is served during the attack (${during} ms)" test "$during" -ge 0 -a "$during" -le 1000
  wait_exit "$LORIS_PID" $((LORIS_FOR + 30))
  recovery "$PURL"
  cat "$WORK/slowloris.out"
  res=$(cat "$WORK/slowloris.out")
  jqn() { python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('$1', 0))" "$res" 2>/dev/null || echo 0; }
  opened=$(jqn opened)
  closed=$(jqn closed_by_server)
  maxheld=$(jqn closed_after_s_max)
  figure opened "$opened"
  figure closed_by_server "$closed"
  figure held_s_max "$maxheld"
  figure still_open_at_end "$(jqn still_open)"
  check "all 200 slow connections were accepted and handshaken" test "$opened" -eq 200
  check "easproxy closed every one of them (closed $closed of $opened)" test "$closed" -eq "$opened"
  check "  ... within --request-timeout of their first byte, plus one drip (max ${maxheld} s)" \
    python3 -c "import sys; sys.exit(0 if float('$maxheld') <= $REQUEST_TIMEOUT + 2 + 1.5 else 1)"
  check "  ... with a log line" bash -c "tail -n +$((S_LOGW + 1)) '$LOG' | grep -q 'request head'"
  check "easproxy alive" alive "$MAIN_PID"
  check "its descriptors are back to where they were (now $(fd_count "$MAIN_PID"), before $fds0)" \
    test "$(fd_count "$MAIN_PID")" -le $((fds0 + 10))
  step_deltas
  check "background traffic unaffected (no failed request)" test "$D_FAILED" -eq 0
fi

# --- 4. connection flood past --max-connections ---------------------------------------------------
if want flood; then
  step flood "1000 TCP connections opened at once and held 15 s against an easproxy limited to 256 descriptors (--max-connections by default 96)"
  FPORT=$(free_port)
  # The limit is set in a subshell that then becomes easproxy: both soft and hard, so easproxy
  # cannot raise it.
  start easproxy-flood bash -c 'ulimit -n 256 && exec "$@"' _ "$EASPROXY" --mode "reverse:$CAS_A" \
    --listen "127.0.0.1:$FPORT" --cert "$WORK/proxy.pem" --upstream-ca "$WORK/cas.crt" \
    --trace "$WORK/flood.jsonl" --log-file "$WORK/flood.log" --state "" --threads 2 --request-timeout "$REQUEST_TIMEOUT"
  FLOOD_PROXY=$LAST_PID
  wait_for "$WORK/flood.log" "listening on https://" 15 >/dev/null || sl_die "easproxy (flood) did not start"
  FURL=https://127.0.0.1:$FPORT/Microsoft-Server-ActiveSync
  device_loop flood-bg 0.5 --url "$FURL" --password Passw0rd --ca "$WORK/proxy.crt" --retry-delay 0 --timeout 20 \
    --user sam --device-id FLOODBG --device-type iPhone --script provision,foldersync,sync --loop --interval 0.3
  wait_for "$WORK/dev-flood-bg.jsonl" '"cmd":"Sync".*"http_status":200' 20 >/dev/null
  start flood python3 "$ABUSE" flood "127.0.0.1:$FPORT" -n 1000 --for 15
  FLOOD_PID=$LAST_PID
  check "easproxy resets connections past --max-connections, and says so" wait_for "$WORK/flood.log" \
    "device connections open \(--max-connections\): new ones are reset" 20
  # A device arriving during the flood learns at once that it cannot get in (a reset), instead
  # of waiting in the listen queue until its own timeout.
  t0=$(now_ms)
  curl -s -o /dev/null --max-time 5 --cacert "$WORK/proxy.crt" -u sam:Passw0rd -X OPTIONS "$FURL" 2>/dev/null
  rc=$?
  answered_ms=$(($(now_ms) - t0))
  figure new_connection_during_flood "curl exit $rc after $answered_ms ms"
  echo "  a new connection during the flood: curl exit $rc after $answered_ms ms"
  check "  ... a device arriving during the flood is told at once (reset within 1 s), not left waiting" \
    test "$rc" -ne 0 -a "$rc" -ne 28 -a "$answered_ms" -lt 1000
  check "easproxy never ran out of descriptors" bash -c "! grep -q 'accept: .*pausing new connections' '$WORK/flood.log'"
  figure log_lines_handshake_failed "$(grep -c 'TLS handshake with the device failed' "$WORK/flood.log")"
  check "easproxy alive during the flood" alive "$FLOOD_PROXY"
  wait_exit "$FLOOD_PID" 90
  cat "$WORK/flood.out"
  recovery "$FURL"
  check "easproxy accepts again, and says so" wait_for "$WORK/flood.log" "below --max-connections again: [0-9]+ connection" 10
  check "easproxy alive" alive "$FLOOD_PROXY"
  n0=$(grep -c '"http_status":200' "$WORK/dev-flood-bg.jsonl")
  until_more() { [ "$(grep -c '"http_status":200' "$WORK/dev-flood-bg.jsonl")" -gt "$n0" ]; }
  deadline=$((SECONDS + 15))
  until until_more || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
  check "the background device syncs through it again after the flood" until_more
  figure flood_result "$(cat "$WORK/flood.out")"
  stop_loop flood-bg 20
  figure background_failed "$(grep -cE '"http_status":(null|5[0-9][0-9])' "$WORK/dev-flood-bg.jsonl" || true)"
  stop_pid "$FLOOD_PROXY" TERM 10
  check "  ... and it exits 0 on SIGTERM" test "$SL_EXIT" -eq 0
fi

# --- 5. garbage instead of TLS ---------------------------------------------------------------------------
if want garbage-tls; then
  step garbage-tls "20 connections sending 16 KB of random bytes, and 5 sending plain HTTP, to the TLS port"
  snapshot
  before=$(grep -c 'TLS handshake with the device failed' "$LOG")
  for i in $(seq 1 20); do
    (head -c 16384 /dev/urandom >"/dev/tcp/127.0.0.1/$PROXY_PORT") 2>/dev/null &
    GARB+=($!)
  done
  for i in $(seq 1 5); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PROXY_PORT" && printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&3 && cat <&3 >/dev/null) 2>/dev/null &
    GARB+=($!)
  done
  for pid in "${GARB[@]}"; do wait_exit "$pid" 15; done
  recovery "$PURL"
  got() { [ $(($(grep -c 'TLS handshake with the device failed' "$LOG") - before)) -ge 25 ]; }
  deadline=$((SECONDS + 10))
  until got || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
  n=$(($(grep -c 'TLS handshake with the device failed' "$LOG") - before))
  figure log_lines "$n"
  check "each of the 25 connections is logged as a failed TLS handshake ($n)" test "$n" -ge 25
  echo "  e.g. $(log_since | grep 'TLS handshake with the device failed' | head -n 1 | cut -c1-220)"
  check "easproxy alive" alive "$MAIN_PID"
  check "background devices carry on (10 more 200s within 15 s)" more_ok 10 15
  step_deltas
  check "background traffic unaffected (no failed request)" test "$D_FAILED" -eq 0
fi

# --- 6. TLS renegotiation --------------------------------------------------------------------------------
if want renegotiation; then
  step renegotiation "a TLS 1.2 client asks to renegotiate (s_client R) before and in the middle of a request; a TLS 1.3 client sends KeyUpdate"
  snapshot
  # reneg NAME TLSFLAG CMD SPLIT: s_client driven through a FIFO; CMD (R or k) sent after the
  # handshake; with SPLIT the request head is cut in two around it.
  reneg() {
    local name=$1 flag=$2 cmd=$3 split=$4 fifo=$WORK/$1.fifo
    mkfifo "$fifo"
    openssl s_client "$flag" -connect "127.0.0.1:$PROXY_PORT" -CAfile "$WORK/proxy.crt" -msg <"$fifo" \
      >"$WORK/$name.out" 2>&1 &
    local pid=$!
    SL_PIDS+=("$pid")
    exec 7>"$fifo"
    wait_for "$WORK/$name.out" '^(SSL-Session|    Protocol)' 10 >/dev/null
    # Writes go through subshells: once s_client has gone (the renegotiation refused), SIGPIPE
    # ends the subshell, not this script.
    send() { (printf "$@" >&7) 2>/dev/null; }
    [ -n "$split" ] && send 'OPTIONS /Microsoft-Server-ActiveSync?User=sam&DeviceId=RENEG&DeviceType=x HTTP/1.1\r\n'
    send '%s\n' "$cmd"
    wait_for "$WORK/$name.out" '(RENEGOTIATING|KEYUPDATE)' 5 >/dev/null
    # Give the peer's answer to the renegotiation time to arrive (bounded), then go on.
    wait_for "$WORK/$name.out" '(<<< .*(ServerHello|Alert)|closed|errno|error)' 3 >/dev/null
    [ -z "$split" ] && send 'OPTIONS /Microsoft-Server-ActiveSync?User=sam&DeviceId=RENEG&DeviceType=x HTTP/1.1\r\n'
    send 'Host: 127.0.0.1\r\nAuthorization: Basic c2FtOlBhc3N3MHJk\r\nConnection: close\r\n\r\n'
    wait_for "$WORK/$name.out" '(HTTP/1.1 [0-9]+|closed|errno|error|DONE)' 5 >/dev/null
    exec 7>&-
    wait_exit "$pid" 10 || stop_pid "$pid"
  }
  after_r() { sed -n '/RENEGOTIATING/,$p' "$WORK/$1.out"; }
  reneg reneg-idle -tls1_2 R ""
  reneg reneg-mid -tls1_2 R split
  reneg keyupdate -tls1_3 k ""
  for n in reneg-idle reneg-mid; do
    if after_r "$n" | grep -q '<<< .*ServerHello'; then
      outcome="accepted (a second handshake completed)"
    elif after_r "$n" | grep -qiE 'Alert.*(no_renegotiation|no renegotiation)|alert no renegotiation'; then
      outcome="refused with a no_renegotiation alert"
    elif after_r "$n" | grep -qiE 'Alert'; then
      outcome="refused with an alert: $(after_r "$n" | grep -iE 'Alert' | head -n 2 | tr '\n' ' ')"
    else
      outcome="no second handshake: $(after_r "$n" | grep -vE '^\s*$' | head -n 3 | tr '\n' ' ' | cut -c1-160)"
    fi
    after=$(after_r "$n" | grep -oE 'HTTP/1.1 [0-9]+' | head -n 1)
    figure "$n" "$outcome; then: ${after:-no HTTP answer on that connection}"
    echo "  $n: $outcome; then: ${after:-no HTTP answer on that connection}"
    check "$n: the renegotiation was not carried out" bash -c "! sed -n '/RENEGOTIATING/,\$p' '$WORK/$n.out' | grep -q '<<< .*ServerHello'"
  done
  ku=$(grep -oE 'HTTP/1.1 [0-9]+' "$WORK/keyupdate.out" | head -n 1)
  figure keyupdate "${ku:-no HTTP answer}"
  check "TLS 1.3 KeyUpdate is harmless: the request after it is answered (${ku:-none})" test "${ku:-}" = "HTTP/1.1 200"
  recovery "$PURL"
  check "easproxy alive" alive "$MAIN_PID"
  echo "  log: $(log_since | grep -iE 'RENEG|handshake|malformed|broke' | head -n 3 | cut -c1-200 | tr '\n' '|')"
  check "background devices carry on (10 more 200s within 15 s)" more_ok 10 15
  step_deltas
  check "background traffic unaffected (no failed request)" test "$D_FAILED" -eq 0
fi

# --- end: the main easproxy stops cleanly, results --------------------------------------------------
STEP=end
echo
touch "$WORK/stop"
for name in "${SL_LOOPS[@]}"; do stop_loop "$name" 30; done
stop_pid "$MAIN_PID" TERM 15
check "the main easproxy exits 0 on SIGTERM after all of it" test "$SL_EXIT" -eq 0
check "no line of its trace is torn" python3 -c "
import json,sys
for l in open('$TRACE'):
    json.loads(l)"
grep -E 'session ended unexpectedly|internal:' "$LOG" "$WORK"/*.log 2>/dev/null | head -n 5
check "no 'session ended unexpectedly' or internal error in any easproxy log" \
  bash -c "! grep -qE 'session ended unexpectedly|internal:' '$WORK'/*.log"

python3 - "$WORK/checks.tsv" "$WORK/figures.tsv" "$OUT" <<'EOF'
import json, sys
checks = [l.rstrip("\n").split("\t", 2) for l in open(sys.argv[1]) if l.strip()]
figures = [l.rstrip("\n").split("\t", 2) for l in open(sys.argv[2]) if l.strip()]
steps = {}
for s, verdict, what in checks:
    steps.setdefault(s, {"checks": [], "figures": {}})["checks"].append({"check": what, "passed": verdict == "PASS"})
for s, k, v in figures:
    try:
        v = json.loads(v)
    except ValueError:
        pass
    steps.setdefault(s, {"checks": [], "figures": {}})["figures"][k] = v
print("\nsummary")
print(f"  {'step':<18}{'checks':>8}{'failed':>8}  recovery")
for s, d in steps.items():
    failed = sum(1 for c in d["checks"] if not c["passed"])
    rec = d["figures"].get("recovery_ms", "")
    print(f"  {s:<18}{len(d['checks']):>8}{failed:>8}  {str(rec) + ' ms' if rec != '' else ''}"
          f"  {'PASS' if failed == 0 else 'FAIL'}")
passed = all(c["passed"] for d in steps.values() for c in d["checks"])
json.dump({"test": "faults", "passed": passed, "steps": steps}, open(sys.argv[3], "w"), indent=1)
print(f"results: {sys.argv[3]}")
EOF
echo "faults: $PASSED passed, $FAILED failed: $([ "$FAILED" -eq 0 ] && echo PASS || echo FAIL)"
[ "$FAILED" -eq 0 ]
