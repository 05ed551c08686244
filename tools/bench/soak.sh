#!/usr/bin/env bash
# Soak: mixed EAS traffic at a steady rate through easproxy in front of tools/fake-cas for a
# while (10 minutes by default). Passes when no request failed, easproxy's RSS stayed flat after
# warm-up (growth under 5 %), and the trace holds one record per exchange the devices made
# through easproxy, per command. See tools/bench/README.md.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: tools/bench/soak.sh [options]

  --minutes M     how long the traffic runs (default 10; fractions work: 0.5)
  --rate R        requests per second to aim for, over all devices (default 20)
  --build DIR     build directory (default: build; configured RelWithDebInfo when it has no
                  CMakeCache.txt; easproxy, fake-cas, eas-device, eas-trace brought up to date)
  --jobs N        parallel build jobs (default 1: the machine is shared)
  --threads N     easproxy I/O threads (default 2)
  --kinds LIST    which of the traffic kinds below run (default all:
                  sync,ping,foldersync,sendmail,follow,pass); fewer, to see what memory goes with
  --out FILE      JSON results (default /tmp/easproxy-soak-DATE.json)
  --keep          keep the work directory (traces, logs, device output) on tmpfs
  -h, --help      this text

Traffic (eas-device --loop processes, --json output kept), all through one easproxy in front of
site A of fake-cas, with --on-451 pass and a config rule "follow" for DeviceType WindowsMobile:
  sync        3 devices of sam (homed in A): provision, foldersync, then Sync rounds
  ping        2 devices of sam: Ping with a 2 s heartbeat, round after round (SendMail wakes them)
  foldersync  1 device of sam: FolderSync rounds
  sendmail    1 device of sam: SendMail rounds (to sam)
  follow      3 legacy WindowsMobile devices of alex: Sync rounds. alex's mailbox moves between
              sites A and B every 5 s (fake-cas admin, a database failover): each move makes
              the site the devices talk to answer 451, and easproxy follows it (and re-binds them)
  pass        a compliant iPhone of alex every few seconds (DeviceIds from a pool of 20): while
              the mailbox is in B its 451 is passed through and it moves to B on its own (only
              that first exchange goes through easproxy)
The DeviceIds are a fixed set, so what easproxy keeps per device (redirect bindings) stops
growing after the warm-up.
A progress line every ~30 s (RSS, flows); at the end a PASS/FAIL table and exit status 0/1.
Warm-up is the first 10 % of the run (at least 30 s); RSS growth is measured after it.
EOF
}

SL_NAME=soak
MINUTES=10
RATE=20
BUILD=
JOBS=1
THREADS=2
KINDS=sync,ping,foldersync,sendmail,follow,pass
OUT=/tmp/easproxy-soak-$(date +%Y%m%d-%H%M%S).json
KEEP=
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) MINUTES=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --kinds) KINDS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "soak.sh: unknown option $1 (--help)" >&2; exit 2 ;;
  esac
  shift
done
source "$(dirname "${BASH_SOURCE[0]}")/soak_lib.sh"
DURATION=$(python3 -c "print(max(1, round(float('$MINUTES') * 60)))") || sl_die "--minutes $MINUTES: not a number"
python3 -c "assert float('$RATE') > 0" 2>/dev/null || sl_die "--rate $RATE: not a positive number"
for k in ${KINDS//,/ }; do
  case $k in sync | ping | foldersync | sendmail | follow | pass) ;; *) sl_die "--kinds: unknown kind $k" ;; esac
done
kind() { case ",$KINDS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
WARMUP=$(python3 -c "print(max(30, round($DURATION * 0.1)))")
[ "$WARMUP" -lt "$DURATION" ] || sl_die "--minutes $MINUTES: shorter than the 30 s warm-up"

sl_build
sl_workdir
ulimit -n "$(ulimit -Hn)" 2>/dev/null
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
sl_start_proxy easproxy "$PROXY_PORT" --config "$WORK/rules.toml" --on-451 pass --threads "$THREADS" ||
  sl_die "easproxy did not start"
PURL=https://127.0.0.1:$PROXY_PORT/Microsoft-Server-ActiveSync
echo "fake-cas: site A $CAS_A, site B $CAS_B (pid $CAS_PID); easproxy $PURL (pid $PROXY_PID, $THREADS threads)"

# --- traffic ----------------------------------------------------------------------------------
# Pacing: rounds of each kind are spaced so that together they come to about --rate requests/s
# (Ping devices add about one request per 2.5 s each, whatever the rate).
iv() { python3 -c "print(round(max(0.05, $1), 3))"; }
I_SYNC=$(iv "3 / ($RATE * 0.45)")
I_FOLDER=$(iv "1 / ($RATE * 0.15)")
I_SEND=$(iv "1 / ($RATE * 0.10)")
I_FOLLOW=$(iv "3 / ($RATE * 0.12)")
MOVE_EVERY=5
P_PASS=$(iv "1 / ($RATE * 0.05)")
PING_HB=2
common=(--url "$PURL" --password Passw0rd --ca "$WORK/proxy.crt" --ca "$WORK/cas.crt" --retry-delay 0 --timeout 30)
kind sync && for i in 1 2 3; do
  device_loop "sync$i" 1 "${common[@]}" --user sam --device-id "SOAKSYNC$i" --device-type iPhone \
    --script provision,foldersync,sync --loop --interval "$I_SYNC"
done
kind ping && for i in 1 2; do
  device_loop "ping$i" 1 "${common[@]}" --user sam --device-id "SOAKPING$i" --device-type Android \
    --script "provision,foldersync,ping:$PING_HB" --loop --interval 0.5
done
kind foldersync && device_loop folder 1 "${common[@]}" --user sam --device-id SOAKFOLDER --device-type iPad \
  --script provision,repeat,foldersync --interval "$I_FOLDER"
kind sendmail && device_loop send 1 "${common[@]}" --user sam --device-id SOAKSEND --device-type iPhone \
  --script provision,foldersync,sendmail --loop --interval "$I_SEND"
kind follow && for i in 1 2 3; do
  device_loop "follow$i" 1 "${common[@]}" --user alex --device-id "SOAKWM$i" --device-type WindowsMobile \
    --user-agent MSFT-PPC/5.2.5082 --behaviour legacy --retries 0 --script provision,foldersync,sync \
    --loop --interval "$I_FOLLOW"
done
kind pass && device_loop pass "$P_PASS" "${common[@]}" --user alex --device-id "SOAKIP{m}" --device-type iPhone \
  --behaviour compliant --script provision,foldersync
echo "traffic ($KINDS): sync every ${I_SYNC}s x3, ping:$PING_HB x2, foldersync every ${I_FOLDER}s, sendmail every ${I_SEND}s, legacy Sync every ${I_FOLLOW}s x3 (alex's mailbox moves every ${MOVE_EVERY}s), 451 pass run every ${P_PASS}s"
echo "running ${DURATION}s (warm-up ${WARMUP}s), target ~$RATE requests/s"

# --- the run: RSS every 5 s, a progress line every 30 s -----------------------------------------
: >"$WORK/rss.tsv"
T0=$SECONDS
next_sample=0
next_progress=30
next_move=$MOVE_EVERY
ALEX_SITE=B
MOVES=0
PROXY_DIED=
client_count() { cat "$WORK"/dev-*.jsonl 2>/dev/null | grep -c "\"url\":\"$PURL" || true; }
fail_count() {
  cat "$WORK"/dev-*.jsonl 2>/dev/null | grep "\"url\":\"$PURL" |
    grep -cE '"http_status":(null|5[0-9][0-9]|4([0-4][0-9]|50|5[2-9]|[6-9][0-9]))' || true
}
exit_fail_count() { cat "$WORK"/dev-*.exits 2>/dev/null | grep -cv '^0$' || true; }
while :; do
  el=$((SECONDS - T0))
  if ! kill -0 "$PROXY_PID" 2>/dev/null; then
    PROXY_DIED=$el
    echo "easproxy died after ${el}s"
    tail -n 20 "$WORK/easproxy.err" "$WORK/easproxy.log"
    break
  fi
  if [ "$el" -ge "$next_sample" ]; then
    printf '%s\t%s\t%s\n' "$el" "$(rss_kb "$PROXY_PID")" "$(fd_count "$PROXY_PID")" >>"$WORK/rss.tsv"
    next_sample=$((next_sample + 5))
  fi
  if [ "$el" -ge "$next_move" ] && { kind follow || kind pass; }; then
    # A database failover: alex's mailbox moves to the other site.
    ALEX_SITE=$([ "$ALEX_SITE" = B ] && echo A || echo B)
    curl -s -X POST --max-time 5 "http://127.0.0.1:$CAS_ADMIN_PORT/admin/user/alex/move/$ALEX_SITE" >/dev/null &&
      MOVES=$((MOVES + 1))
    next_move=$((next_move + MOVE_EVERY))
  fi
  if [ "$el" -ge "$next_progress" ]; then
    printf '[%4ds] easproxy RSS %s kB, %s fds; trace records %s (451 followed %s); device exchanges via easproxy %s; failed %s; device exits != 0: %s\n' \
      "$el" "$(rss_kb "$PROXY_PID")" "$(fd_count "$PROXY_PID")" "$(lines "$WORK/easproxy.jsonl")" \
      "$(grep -c '"decision":"followed"' "$WORK/easproxy.jsonl")" "$(client_count)" "$(fail_count)" "$(exit_fail_count)"
    next_progress=$((next_progress + 30))
  fi
  [ "$el" -ge "$DURATION" ] && break
  sleep 0.5
done
ELAPSED=$((SECONDS - T0))
RSS_END=$(rss_kb "$PROXY_PID")
[ -z "$PROXY_DIED" ] && printf '%s\t%s\t%s\n' "$ELAPSED" "$RSS_END" "$(fd_count "$PROXY_PID")" >>"$WORK/rss.tsv"

# --- stop: devices first (each finishes its exchange; a held Ping is abandoned), then easproxy
# (SIGTERM flushes the trace) ---------------------------------------------------------------------
touch "$WORK/stop"
for name in "${SL_LOOPS[@]}"; do stop_loop "$name" 40; done
PROXY_EXIT=
if [ -z "$PROXY_DIED" ]; then
  stop_pid "$PROXY_PID" TERM 15
  PROXY_EXIT=$SL_EXIT
fi
stop_pid "$CAS_PID" TERM 5

python3 "$SL_REPO/tools/bench/soak_report.py" --work "$WORK" --proxy-url "$PURL" \
  --trace "$WORK/easproxy.jsonl" --duration "$ELAPSED" --warmup "$WARMUP" --rate "$RATE" \
  --proxy-exit "${PROXY_EXIT:-died}" \
  --proxy-log "$WORK/easproxy.log" --out "$OUT"
status=$?
SL_FAILED=$status
exit $status
