#!/usr/bin/env bash
# easproxy against nginx, HAProxy and mitmproxy on the same machine, in the same run:
#   1. throughput: wrk posting EAS Syncs (WBXML, EAS headers and query) over keep-alive TLS;
#      requests/s, p50/p99 latency, the proxy's CPU time per request;
#   2. held connections: N Pings parked at a hanging upstream through each proxy; memory per
#      held connection, and every Ping answered once the upstream answers;
#   3. streaming: a 100 MB response through each proxy; time and peak memory growth;
#   4. soak (tools/bench/soak.sh): mixed EAS traffic through easproxy for 10 minutes; no failed
#      request, flat RSS, a trace record per exchange;
#   5. faults (tools/bench/faults.sh): upstream restarts and resets, slowloris, a connection
#      flood, garbage TLS and renegotiation under load; easproxy survives and recovers within 1 s.
# Every figure is also given as a ratio against peers measured in the same run: on a shared
# machine only those are worth comparing. See tools/bench/README.md.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: tools/bench/bench.sh [--quick] [options]

  --quick              short run: 3 s per measurement, 500 held Pings, 1 stream repetition,
                       a 1-minute soak
  --build DIR          easproxy build directory (default: build; configured as Release when
                       it has no CMakeCache.txt; easproxy and eas-decode are brought up to date)
  --jobs N             parallel build jobs (default 1: the machine is shared)
  --out FILE           JSON results (default /tmp/easproxy-bench-DATE.json)
  --tests LIST         rps,hold,stream,soak,faults (default all five; the soak takes 10 minutes
                       and the faults about 3: --tests rps,hold,stream for the comparisons only)
  --peers LIST         direct,nginx,haproxy,mitmproxy,easproxy,easproxy-notrace (default all;
                       a peer that is not installed is skipped with a note)
  --duration S         seconds per throughput measurement (default 10)
  --reps R             repetitions (default 3; min/median/max are reported)
  --connections C      wrk connections (default 16)
  --hold N             held Pings per proxy (default 2000)
  --hold-max N         one more held run through easproxy alone (default 10000; capped by
                       ulimit -n: easproxy holds 2 descriptors per Ping)
  --stream-mb MB       size of the streamed response (default 100)
  --soak-minutes M     length of the soak (default 10; 1 with --quick)
  --soak-rate R        requests per second of the soak (default 20)
  --compare BIN        also measure another easproxy binary (a build with a change to try):
                       peers easproxy-cmp and easproxy-cmp-notrace, with ratios against easproxy
  --keep               keep the work directory (configs, logs, traces) on tmpfs
  -h, --help           this text

CPUs: the load generator and the upstream run on CPU 0, the proxy on CPU 1 (taskset), one
worker/thread each (nginx worker_processes 1, HAProxy nbthread 1, easproxy --threads 1;
mitmproxy is one Python process). Needs wrk, curl, openssl, taskset, python3; nginx, haproxy
and mitmdump are optional peers (bash scripts/setup.sh --bench installs them).
EOF
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$REPO/build
JOBS=1
OUT=/tmp/easproxy-bench-$(date +%Y%m%d-%H%M%S).json
TESTS=rps,hold,stream,soak,faults
PEERS=direct,nginx,haproxy,mitmproxy,easproxy,easproxy-notrace
DURATION=10
REPS=3
CONNS=16
HOLD_N=2000
HOLD_MAX=10000
STREAM_MB=100
STREAM_REPS=
SOAK_MINUTES=
SOAK_RATE=20
COMPARE=
KEEP=
QUICK=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1; DURATION=3; HOLD_N=500; HOLD_MAX=2000; STREAM_REPS=1; SOAK_MINUTES=${SOAK_MINUTES:-1} ;;
    --build) BUILD=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --tests) TESTS=$2; shift ;;
    --peers) PEERS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --hold) HOLD_N=$2; shift ;;
    --hold-max) HOLD_MAX=$2; shift ;;
    --stream-mb) STREAM_MB=$2; shift ;;
    --soak-minutes) SOAK_MINUTES=$2; shift ;;
    --soak-rate) SOAK_RATE=$2; shift ;;
    --compare) COMPARE=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench.sh: unknown option $1 (--help)" >&2; exit 2 ;;
  esac
  shift
done
STREAM_REPS=${STREAM_REPS:-$REPS}
SOAK_MINUTES=${SOAK_MINUTES:-10}
BUILD=$(cd "$REPO" && mkdir -p "$BUILD" && cd "$BUILD" && pwd)
LOAD_CPU=0
PROXY_CPU=1
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)

say() { printf '%s\n' "$*"; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 2; }
has() { case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }

# --- what is needed, what is optional ------------------------------------------------------
for t in ${TESTS//,/ }; do
  case $t in rps | hold | stream | soak | faults) ;; *) die "--tests: unknown test $t (rps,hold,stream,soak,faults)" ;; esac
done
for tool in curl openssl taskset python3 cmake; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install curl openssl util-linux python3 cmake)"
done
if has "$TESTS" rps && ! command -v wrk >/dev/null; then
  die "wrk is missing: apt-get install wrk (or --tests hold,stream)"
fi
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (load on CPU 0, proxy on CPU 1); this machine has $(nproc)"
NOTES=()
note() { NOTES+=("$*"); say "note: $*"; }
peer_available() {
  case $1 in
    nginx) command -v nginx >/dev/null || { note "nginx not installed: skipped (apt-get install nginx)"; return 1; } ;;
    haproxy) command -v haproxy >/dev/null || { note "haproxy not installed: skipped (apt-get install haproxy)"; return 1; } ;;
    mitmproxy) command -v mitmdump >/dev/null || { note "mitmdump not installed: skipped (apt-get install mitmproxy)"; return 1; } ;;
  esac
  return 0
}
ALL_PEERS=()
for p in ${PEERS//,/ }; do
  case $p in
    direct | nginx | haproxy | mitmproxy | easproxy | easproxy-notrace) ;;
    *) die "--peers: unknown peer $p" ;;
  esac
  peer_available "$p" && ALL_PEERS+=("$p")
done
if [ -n "$COMPARE" ]; then
  [ -x "$COMPARE" ] || die "--compare $COMPARE: not an executable"
  COMPARE=$(cd "$(dirname "$COMPARE")" && pwd)/$(basename "$COMPARE")
  has "$PEERS" easproxy && ALL_PEERS+=(easproxy-cmp)
  has "$PEERS" easproxy-notrace && ALL_PEERS+=(easproxy-cmp-notrace)
fi

# --- build -----------------------------------------------------------------------------------
EASPROXY=$BUILD/easproxy
EAS_DECODE=$BUILD/tools/eas-decode
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  say "configuring $BUILD (Release)"
  # fake-cas and eas-device (the simulators) only for the soak and the faults.
  simulators=OFF
  if has "$TESTS" soak || has "$TESTS" faults; then simulators=ON; fi
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DEASPROXY_SIMULATORS=$simulators >/dev/null ||
    die "cmake configure of $BUILD failed"
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
case $build_type in
  Release | RelWithDebInfo) ;;
  *) note "$BUILD is a ${build_type:-no-type} build: figures are not representative (use a Release build: --build DIR)" ;;
esac
targets=(easproxy eas-decode)
# bench-upstream and bench-hold: in the main build when tools/CMakeLists.txt adds tools/bench,
# otherwise built on their own beside it.
if grep -q 'bench-upstream' "$BUILD/build.ninja" "$BUILD/Makefile" 2>/dev/null; then
  targets+=(bench-upstream bench-hold)
  BENCH_BIN=$BUILD/tools
else
  BENCH_BIN=$BUILD/tool-build/bench-standalone
  if [ ! -x "$BENCH_BIN/bench-upstream" ] || [ ! -x "$BENCH_BIN/bench-hold" ] ||
    [ "$REPO/tools/bench/upstream.cpp" -nt "$BENCH_BIN/bench-upstream" ] ||
    [ "$REPO/tools/bench/hold_client.cpp" -nt "$BENCH_BIN/bench-hold" ]; then
    say "building bench-upstream and bench-hold in $BENCH_BIN"
    { cmake -S "$REPO/tools/bench" -B "$BENCH_BIN" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
      cmake --build "$BENCH_BIN" -j "$JOBS" >/dev/null; } || die "building tools/bench failed"
  fi
fi
say "building ${targets[*]} in $BUILD (-j $JOBS)"
cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}" >/dev/null || die "build failed in $BUILD"
UPSTREAM_BIN=$BENCH_BIN/bench-upstream
HOLD_BIN=$BENCH_BIN/bench-hold

# --- work directory on tmpfs, processes, cleanup ----------------------------------------------
TMPROOT=/dev/shm
[ -d "$TMPROOT" ] && [ -w "$TMPROOT" ] || TMPROOT=${TMPDIR:-/tmp}
WORK=$(mktemp -d "$TMPROOT/easproxy-bench.XXXXXX")
chmod 755 "$WORK"  # nginx's worker (user nobody) reads and writes its temp dirs under it
export HOME=$WORK/home  # easproxy and mitmproxy keep state under $HOME: never the real one
mkdir -p "$HOME"
RESULTS=$WORK/results.tsv
: >"$RESULTS"
STARTED=()

forget_pid() {
  local keep=() q
  for q in "${STARTED[@]}"; do [ "$q" = "$1" ] || keep+=("$q"); done
  STARTED=("${keep[@]}")
}
stop_pid() {  # stop_pid PID: TERM, then KILL after 5 s; only processes this script started
  local pid=$1 i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "note: process $pid ignored SIGTERM for 5 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  wait "$pid" 2>/dev/null
  forget_pid "$pid"
  return 0
}
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
  if [ -n "$KEEP" ]; then say "work files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Descriptors: a held Ping costs easproxy two (device, upstream); raise the soft limit to the
# hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)

free_port() {  # a port nothing listens on, below the ephemeral range
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 10000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      case " ${USED_PORTS:-} " in *" $p "*) continue ;; esac
      USED_PORTS="${USED_PORTS:-} $p"
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

wait_port() {  # wait_port PORT PID SECONDS: until something accepts on PORT; fails if PID died
  local port=$1 pid=$2 limit=$3
  local deadline=$((SECONDS + limit))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

wait_for() {  # wait_for FILE REGEX SECONDS
  local file=$1 pattern=$2 limit=$3
  local deadline=$((SECONDS + limit))
  until grep -qE -- "$pattern" "$file" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

# All processes of a proxy: the started PID and its descendants (nginx's worker).
proc_tree() {
  [ -n "${1:-}" ] || return 0
  local pids=" $1 " changed=1 f pid rest fields
  while [ $changed -eq 1 ]; do
    changed=0
    for f in /proc/[0-9]*/stat; do
      { read -r rest <"$f"; } 2>/dev/null || continue  # processes come and go
      pid=${f#/proc/}
      pid=${pid%/stat}
      read -ra fields <<<"${rest##*) }"  # fields[1] is the parent
      if [[ $pids == *" ${fields[1]} "* && $pids != *" $pid "* ]]; then
        pids+="$pid "
        changed=1
      fi
    done
  done
  echo $pids
}
cpu_ticks() {  # utime+stime of the processes, in clock ticks
  local total=0 p rest fields
  for p in "$@"; do
    { read -r rest <"/proc/$p/stat"; } 2>/dev/null || continue
    read -ra fields <<<"${rest##*) }"  # fields[11], [12]: utime, stime
    total=$((total + fields[11] + fields[12]))
  done
  echo $total
}
status_kb() {  # status_kb FIELD PIDS...: sum of VmRSS or VmHWM
  local field=$1 total=0 p v
  shift
  for p in "$@"; do
    v=$(sed -n "s/^$field:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$p/status" 2>/dev/null)
    total=$((total + ${v:-0}))
  done
  echo $total
}
reset_hwm() {
  local p
  for p in "$@"; do echo 5 >"/proc/$p/clear_refs" 2>/dev/null || return 1; done
}
CLK_TCK=$(getconf CLK_TCK)

# --- certificates and bodies, made for this run ------------------------------------------------
say "work directory $WORK; ulimit -n $NOFILE"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$WORK/upstream.key" -out "$WORK/upstream.crt" >/dev/null 2>&1 || die "openssl: cannot make the upstream certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$WORK/proxy.key" -out "$WORK/proxy.crt" >/dev/null 2>&1 || die "openssl: cannot make the proxy certificate"
cat "$WORK/proxy.crt" "$WORK/proxy.key" >"$WORK/proxy.pem"
chmod 600 "$WORK"/*.key "$WORK/proxy.pem"

CORPUS=$REPO/tests/corpus
"$EAS_DECODE" --encode "$CORPUS/sync-request-email-14.1.xml" >"$WORK/sync-request.wbxml" || die "eas-decode --encode failed"
# The Sync response: the first two messages of the corpus' large mailbox Sync (3.3 KB of WBXML).
{
  awk '{print} /<\/Add>/ && ++n == 2 {exit}' "$CORPUS/sync-response-email-large-14.1.xml"
  printf '      </Commands>\n    </Collection>\n  </Collections>\n</Sync>\n'
} >"$WORK/sync-response.xml"
"$EAS_DECODE" --encode "$WORK/sync-response.xml" >"$WORK/sync-response.wbxml" || die "eas-decode --encode failed"
"$EAS_DECODE" --encode "$CORPUS/ping-request.xml" >"$WORK/ping-request.wbxml" || die "eas-decode --encode failed"
"$EAS_DECODE" --encode "$CORPUS/ping-response-changes.xml" >"$WORK/ping-response.wbxml" || die "eas-decode --encode failed"
SYNC_TARGET='/Microsoft-Server-ActiveSync?Cmd=Sync&User=alex&DeviceId=ApplDNQX1234&DeviceType=iPhone'
PING_TARGET='/Microsoft-Server-ActiveSync?Cmd=Ping&User=alex&DeviceId=ApplDNQX1234&DeviceType=iPhone'

# --- the upstream (CPU 0) --------------------------------------------------------------------------
UP_PORT=$(free_port)
taskset -c $LOAD_CPU "$UPSTREAM_BIN" --listen "127.0.0.1:$UP_PORT" --cert "$WORK/upstream.crt" \
  --key "$WORK/upstream.key" --body "$WORK/sync-response.wbxml" \
  --ping-body "$WORK/ping-response.wbxml" >"$WORK/upstream.out" 2>&1 &
UP_PID=$!
STARTED+=("$UP_PID")
wait_port "$UP_PORT" "$UP_PID" 10 || { cat "$WORK/upstream.out" >&2; die "bench-upstream did not start"; }
say "upstream: bench-upstream on 127.0.0.1:$UP_PORT (pid $UP_PID, CPU $LOAD_CPU), Sync response $(wc -c <"$WORK/sync-response.wbxml") B of WBXML"
upstream_held() {
  kill -USR2 "$UP_PID" 2>/dev/null
  sleep 0.1
  grep -E '^status held=' "$WORK/upstream.out" | tail -n 1 | sed 's/^status held=\([0-9]*\).*/\1/'
}

# --- peers ------------------------------------------------------------------------------------
# start_peer NAME MAXCONN: starts a fresh instance on CPU 1; sets PEER_PORT and PEER_PID (empty
# for direct). False, with a note, when it does not come up.
start_peer() {
  local name=$1 maxconn=${2:-1000} dir=$WORK/$1
  mkdir -p "$dir"
  PEER_PID=
  if [ "$name" = direct ]; then
    PEER_PORT=$UP_PORT
    return 0
  fi
  PEER_PORT=$(free_port)
  case $name in
    nginx)
      mkdir -p "$dir/tmp"
      chmod 1777 "$dir/tmp"
      cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile $NOFILE;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $((maxconn * 4 + 256)); }  # device + upstream per request, with room
http {
  access_log $dir/access.log;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_max_body_size 16m;
  upstream cas {
    server 127.0.0.1:$UP_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$PEER_PORT ssl;
    ssl_certificate $WORK/proxy.crt;
    ssl_certificate_key $WORK/proxy.key;
    location / {
      proxy_pass https://cas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_session_reuse on;
      proxy_read_timeout 3700s;
      proxy_send_timeout 60s;
    }
  }
}
EOF
      taskset -c $PROXY_CPU nginx -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log" >"$dir/out" 2>&1 &
      ;;
    haproxy)
      cat >"$dir/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn $((maxconn + 64))
  ssl-server-verify none
defaults
  mode http
  timeout connect 10s
  timeout client 3700s
  timeout server 3700s
  timeout http-request 30s
  timeout http-keep-alive 60s
  option http-keep-alive
  http-reuse always
frontend devices
  bind 127.0.0.1:$PEER_PORT ssl crt $WORK/proxy.pem
  default_backend cas
backend cas
  server cas 127.0.0.1:$UP_PORT ssl verify none sni str(localhost)
EOF
      taskset -c $PROXY_CPU haproxy -f "$dir/haproxy.cfg" -db >"$dir/out" 2>&1 &
      ;;
    mitmproxy)
      # --certs: the device side shows the run's certificate (no mitmproxy CA needed in reverse
      # mode); flows are printed as mitmdump does by default (one line each), to a file on tmpfs.
      taskset -c $PROXY_CPU mitmdump --mode "reverse:https://127.0.0.1:$UP_PORT" \
        --listen-host 127.0.0.1 --listen-port "$PEER_PORT" --ssl-insecure \
        --certs "*=$WORK/proxy.pem" --set confdir="$dir/conf" >"$dir/out" 2>&1 &
      ;;
    easproxy | easproxy-notrace | easproxy-cmp | easproxy-cmp-notrace)
      local trace=() bin=$EASPROXY
      case $name in *-notrace) ;; *) trace=(--trace "$dir/trace.jsonl" --trace-bodies decoded) ;; esac
      case $name in easproxy-cmp*) bin=$COMPARE ;; esac
      taskset -c $PROXY_CPU "$bin" --mode "reverse:https://127.0.0.1:$UP_PORT" \
        --listen "127.0.0.1:$PEER_PORT" --cert "$WORK/proxy.pem" --upstream-ca "$WORK/upstream.crt" \
        --threads 1 --state "" --log-file "$dir/easproxy.log" "${trace[@]}" >"$dir/out" 2>&1 &
      ;;
  esac
  PEER_PID=$!
  STARTED+=("$PEER_PID")
  if ! wait_port "$PEER_PORT" "$PEER_PID" 30; then
    note "$name did not start (see below): skipped"
    tail -n 5 "$dir/out" "$dir/error.log" 2>/dev/null | sed 's/^/  | /'
    stop_pid "$PEER_PID"
    return 1
  fi
  # One Sync through it, end to end, before anything is measured.
  local code
  code=$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' --data-binary @"$WORK/sync-request.wbxml" \
    -H 'Content-Type: application/vnd.ms-sync.wbxml' -H 'MS-ASProtocolVersion: 14.1' \
    "https://127.0.0.1:$PEER_PORT$SYNC_TARGET")
  if [ "$code" != 200 ]; then
    note "$name answered a Sync with HTTP $code instead of 200: skipped"
    tail -n 5 "$dir/out" 2>/dev/null | sed 's/^/  | /'
    stop_pid "$PEER_PID"
    return 1
  fi
  return 0
}
stop_peer() { [ -n "${PEER_PID:-}" ] && stop_pid "$PEER_PID"; PEER_PID=; }

record() { printf '%s\n' "$*" >>"$RESULTS"; }  # TSV: test peer rep key=value...

# --- 1. throughput ---------------------------------------------------------------------------------
run_wrk() {  # run_wrk PORT SECONDS OUTFILE
  BENCH_SYNC_BODY=$WORK/sync-request.wbxml BENCH_WRK_OUT=$3 \
    timeout $(($2 + 30)) taskset -c $LOAD_CPU wrk -t1 -c"$CONNS" -d"$2s" --timeout 10s \
    -s "$REPO/tools/bench/sync.lua" "https://127.0.0.1:$1$SYNC_TARGET" >"$3.txt" 2>&1
}
if has "$TESTS" rps; then
  say ""
  say "== 1. throughput: $REPS x ${DURATION}s per peer, wrk -c$CONNS, Sync ($(wc -c <"$WORK/sync-request.wbxml") B up, $(wc -c <"$WORK/sync-response.wbxml") B down)"
  declare -A PORT_OF PID_OF
  RPS_PEERS=()
  for p in "${ALL_PEERS[@]}"; do
    if start_peer "$p" 1000; then
      PORT_OF[$p]=$PEER_PORT
      PID_OF[$p]=${PEER_PID:-}
      RPS_PEERS+=("$p")
    fi
  done
  for rep in $(seq 1 "$REPS"); do
    # Peers take turns within each repetition (rotated), so drift hits them alike.
    n=${#RPS_PEERS[@]}
    for i in $(seq 0 $((n - 1))); do
      p=${RPS_PEERS[$(((i + rep - 1) % n))]}
      port=${PORT_OF[$p]}
      run_wrk "$port" 1 "$WORK/warm.json" # warm-up: connections, pools, caches
      pids=$(proc_tree "${PID_OF[$p]}")
      p0=$(cpu_ticks $pids)
      u0=$(cpu_ticks "$UP_PID")
      run_wrk "$port" "$DURATION" "$WORK/wrk-$p-$rep.json"
      p1=$(cpu_ticks $pids)
      u1=$(cpu_ticks "$UP_PID")
      if [ ! -s "$WORK/wrk-$p-$rep.json" ]; then
        note "$p rep $rep: wrk gave no result ($(tail -n 1 "$WORK/wrk-$p-$rep.json.txt" 2>/dev/null))"
        continue
      fi
      record "rps	$p	$rep	wrk=$(tr -d '\n' <"$WORK/wrk-$p-$rep.json")	proxy_ticks=$((p1 - p0))	upstream_ticks=$((u1 - u0))	clk_tck=$CLK_TCK	has_proxy=$([ -n "${PID_OF[$p]}" ] && echo 1 || echo 0)"
      rps=$(sed -n 's/.*"requests": \([0-9]*\), "duration_us": \([0-9]*\).*/\1 \2/p' "$WORK/wrk-$p-$rep.json" |
        awk '{printf "%.0f", $1 / ($2 / 1e6)}')
      say "  rep $rep  $(printf '%-17s' "$p") $rps req/s"
    done
  done
  for p in "${RPS_PEERS[@]}"; do [ -n "${PID_OF[$p]}" ] && stop_pid "${PID_OF[$p]}"; done
fi

# --- 2. held connections ------------------------------------------------------------------------
hold_through() {  # hold_through PEER N LABEL
  local p=$1 n=$2 label=$3 dir=$WORK/$1
  start_peer "$p" "$n" || return 0
  local pids rss0 rss1 held=0 deadline hold_pid line answered ok failed spread
  pids=$(proc_tree "$PEER_PID")
  sleep 0.5
  rss0=$(status_kb VmRSS $pids)
  : >"$WORK/hold-$label.out"
  taskset -c $LOAD_CPU "$HOLD_BIN" --connect "127.0.0.1:$PEER_PORT" -n "$n" --parallel 64 \
    --body "$WORK/ping-request.wbxml" --target "$PING_TARGET" --timeout $((120 + n / 50)) \
    >"$WORK/hold-$label.out" 2>&1 &
  hold_pid=$!
  STARTED+=("$hold_pid")
  if ! wait_for "$WORK/hold-$label.out" '^sent ' $((60 + n / 50)); then
    note "$label: the $n Pings were not all sent in time ($(tail -n 1 "$WORK/hold-$label.out"))"
  fi
  # Every Ping parked at the upstream (or as many as got through).
  deadline=$((SECONDS + 30 + n / 100))
  held=$(upstream_held)
  while [ "${held:-0}" -lt "$n" ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.5
    held=$(upstream_held)
  done
  sleep 1
  pids=$(proc_tree "$PEER_PID")
  rss1=$(status_kb VmRSS $pids)
  held=$(upstream_held)
  held=${held:-0}
  kill -USR1 "$UP_PID"  # the upstream answers them all
  if ! wait_for "$WORK/hold-$label.out" '^done ' $((60 + n / 50)); then
    note "$label: not every Ping was answered in time"
    stop_pid "$hold_pid"
  fi
  wait "$hold_pid" 2>/dev/null
  forget_pid "$hold_pid"
  line=$(grep -E '^done ' "$WORK/hold-$label.out" | tail -n 1)
  answered=$(sed -n 's/.*answered=\([0-9]*\).*/\1/p' <<<"$line")
  ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")
  failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")
  spread=$(sed -n 's/.*seconds_after_release=\([0-9.]*\).*/\1/p' <<<"$line")
  grep -E '^first error' "$WORK/hold-$label.out" | sed "s/^/  $label: /"
  record "hold	$label	1	proxy=$p	n=$n	held=${held:-0}	rss0_kb=$rss0	rss1_kb=$rss1	answered=${answered:-0}	ok=${ok:-0}	failed=${failed:-0}	answer_seconds=${spread:-0}"
  say "  $(printf '%-22s' "$label") held ${held:-0}/$n  RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MB  ($(((rss1 - rss0) / (held > 0 ? held : 1))) KB per held Ping)  answered 200: ${ok:-0}/$n in ${spread:-?} s"
  stop_peer
  # Let the closed connections drain before the next peer (TIME_WAIT is harmless; FDs are not).
  sleep 1
}
if has "$TESTS" hold; then
  say ""
  say "== 2. held connections: $HOLD_N Pings held at the upstream through each proxy, then answered"
  for p in "${ALL_PEERS[@]}"; do
    case $p in direct | *-notrace) continue ;; esac
    hold_through "$p" "$HOLD_N" "$p"
  done
  if has "${PEERS}" easproxy && [ "$HOLD_MAX" -gt "$HOLD_N" ]; then
    # easproxy holds a device and an upstream descriptor per Ping, plus a few of its own.
    cap=$(((NOFILE - 64) / 2))
    n=$HOLD_MAX
    if [ "$n" -gt "$cap" ]; then
      note "held Pings through easproxy capped at $cap (not $HOLD_MAX): ulimit -n is $NOFILE here (hard limit), and each held Ping takes 2 descriptors"
      n=$cap
    fi
    hold_through easproxy "$n" "easproxy-$n"
  fi
fi

# --- 3. streaming ------------------------------------------------------------------------------------
if has "$TESTS" stream; then
  say ""
  bytes=$((STREAM_MB * 1024 * 1024))
  say "== 3. streaming: a $STREAM_MB MB response through each peer, $STREAM_REPS repetition(s)"
  for p in "${ALL_PEERS[@]}"; do
    case $p in *-notrace) continue ;; esac
    start_peer "$p" 100 || continue
    pids=$(proc_tree "${PEER_PID:-}")
    for rep in $(seq 1 "$STREAM_REPS"); do
      rss0=0
      hwm_ok=1
      if [ -n "$PEER_PID" ]; then
        rss0=$(status_kb VmRSS $pids)
        reset_hwm $pids || hwm_ok=0
      fi
      t0=$(cpu_ticks $pids)
      res=$(taskset -c $LOAD_CPU curl -sk --max-time 300 -o /dev/null \
        -w '%{http_code} %{size_download} %{time_total}' "https://127.0.0.1:$PEER_PORT/stream?bytes=$bytes")
      t1=$(cpu_ticks $pids)
      hwm=0
      [ -n "$PEER_PID" ] && hwm=$(status_kb VmHWM $pids)
      read -r code size secs <<<"$res"
      if [ "$code" != 200 ] || [ "$size" != "$bytes" ]; then
        note "$p stream rep $rep: HTTP $code, $size of $bytes bytes"
      fi
      record "stream	$p	$rep	code=$code	bytes=$size	expected=$bytes	seconds=$secs	rss0_kb=$rss0	hwm_kb=$hwm	hwm_ok=$hwm_ok	proxy_ticks=$((t1 - t0))	clk_tck=$CLK_TCK"
      say "  rep $rep  $(printf '%-17s' "$p") $secs s$([ -n "$PEER_PID" ] && echo ", peak RSS +$(((hwm - rss0) / 1024)) MB")"
    done
    stop_peer
  done
fi

# --- 4. soak and 5. faults: their own scripts, against easproxy alone (not pinned) -------------------
for t in soak faults; do
  has "$TESTS" "$t" || continue
  say ""
  args=(--build "$BUILD" --jobs "$JOBS" --out "$WORK/$t.json")
  if [ "$t" = soak ]; then
    say "== 4. soak: $SOAK_MINUTES minute(s) of mixed EAS traffic at ~$SOAK_RATE requests/s through easproxy (tools/bench/soak.sh)"
    args+=(--minutes "$SOAK_MINUTES" --rate "$SOAK_RATE")
  else
    say "== 5. faults under load (tools/bench/faults.sh)"
  fi
  bash "$REPO/tools/bench/$t.sh" "${args[@]}" 2>&1 | sed 's/^/  /'
  status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] || note "$t: FAIL (exit $status; see above)"
  record "$t	easproxy	1	passed=$([ "$status" -eq 0 ] && echo 1 || echo 0)	exit=$status	json=$WORK/$t.json"
  [ "$status" -eq 0 ] || BENCH_FAILED=1
done

# --- summary and JSON ------------------------------------------------------------------------------
printf '%s\n' "${NOTES[@]}" >"$WORK/notes.txt"
BENCH_META=$(printf '{"date": "%s", "loadavg_start": "%s", "loadavg_end": "%s", "host_cpus": %s, "cpu_model": "%s", "quick": %s, "duration_s": %s, "reps": %s, "connections": %s, "nofile": %s, "versions": {"nginx": "%s", "haproxy": "%s", "mitmproxy": "%s", "wrk": "%s", "openssl": "%s"}}' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$LOADAVG_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
  "$([ -n "$QUICK" ] && echo true || echo false)" "$DURATION" "$REPS" "$CONNS" "$NOFILE" \
  "$(nginx -v 2>&1 | sed 's/.*nginx\///')" "$(haproxy -v 2>/dev/null | head -n 1 | awk '{print $3}')" \
  "$(mitmdump --version 2>/dev/null | sed -n 's/^Mitmproxy: //p')" "$(wrk -v 2>&1 | head -n 1 | awk '{print $2}')" \
  "$(openssl version | awk '{print $2}')") \
  python3 "$REPO/tools/bench/summarize.py" "$RESULTS" "$WORK/notes.txt" "$OUT" || exit $?
[ -z "${BENCH_FAILED:-}" ]
