# shellcheck shell=bash
# Shared by tools/bench/soak.sh and tools/bench/faults.sh (sourced, not run): the build, a work
# directory on tmpfs, processes started and stopped by PID, bounded waits, fake-cas on fixed
# ports (so it can be restarted where easproxy expects it), easproxy in front of it, and
# eas-device processes kept running in the background with their --json output kept.
# The caller sets SL_NAME (for messages), BUILD (may be empty), JOBS and KEEP.

SL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SL_PIDS=()     # processes this script started (background loops included)
SL_LOOPS=()    # device loops: NAME of each
USED_PORTS=

sl_die() { printf '%s: %s\n' "$SL_NAME" "$*" >&2; exit 2; }
# What both the soak and the faults run need, checked once they source this file.
for tool in curl openssl python3 cmake; do
  command -v "$tool" >/dev/null || sl_die "$tool is missing"
done
now_ms() { date +%s%3N; }

# --- build ---------------------------------------------------------------------------------
# sl_build: brings easproxy, fake-cas, eas-device, eas-trace and bench-upstream up to date in
# $BUILD (configured RelWithDebInfo when it has no cache; simulators switched on when off).
sl_build() {
  BUILD=${BUILD:-$SL_REPO/build}
  BUILD=$(mkdir -p "$BUILD" && cd "$BUILD" && pwd)
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    echo "configuring $BUILD (RelWithDebInfo)"
    cmake -S "$SL_REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEASPROXY_TESTS=OFF >/dev/null ||
      sl_die "cmake configure of $BUILD failed"
  elif grep -q '^EASPROXY_SIMULATORS:BOOL=OFF' "$BUILD/CMakeCache.txt"; then
    echo "switching EASPROXY_SIMULATORS on in $BUILD (fake-cas and eas-device are needed)"
    cmake -S "$SL_REPO" -B "$BUILD" -DEASPROXY_SIMULATORS=ON >/dev/null || sl_die "cmake reconfigure failed"
  fi
  echo "building easproxy fake-cas eas-device eas-trace bench-upstream in $BUILD (-j ${JOBS:-1})"
  cmake --build "$BUILD" -j "${JOBS:-1}" --target easproxy fake-cas eas-device eas-trace bench-upstream \
    >"${TMPDIR:-/tmp}/$SL_NAME-build.log" 2>&1 || {
    tail -n 20 "${TMPDIR:-/tmp}/$SL_NAME-build.log" >&2
    sl_die "build failed in $BUILD"
  }
  EASPROXY=$BUILD/easproxy
  FAKE_CAS=$BUILD/tools/fake-cas
  DEVICE=$BUILD/tools/eas-device
  EAS_TRACE=$BUILD/tools/eas-trace
  UPSTREAM_BIN=$BUILD/tools/bench-upstream
}

# --- work directory, processes, cleanup ------------------------------------------------------
sl_workdir() {
  local root=/dev/shm
  [ -d "$root" ] && [ -w "$root" ] || root=${TMPDIR:-/tmp}
  WORK=$(mktemp -d "$root/easproxy-$SL_NAME.XXXXXX")
  export HOME=$WORK/home  # easproxy keeps state under $HOME: never the real one
  mkdir -p "$HOME"
  trap sl_cleanup EXIT
  trap 'exit 130' INT TERM
}

sl_forget() {
  local keep=() q
  for q in "${SL_PIDS[@]}"; do [ "$q" = "$1" ] || keep+=("$q"); done
  SL_PIDS=("${keep[@]}")
}
# stop_pid PID [SIGNAL] [SECONDS]: SIGNAL (TERM), then KILL after SECONDS (5); only our own.
stop_pid() {
  local pid=$1 sig=${2:-TERM} limit=${3:-5} deadline
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null
    deadline=$(($(now_ms) + limit * 1000))
    while kill -0 "$pid" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "note: process $pid still running ${limit}s after SIG$sig: SIGKILL"
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  wait "$pid" 2>/dev/null
  SL_EXIT=$?
  sl_forget "$pid"
  return 0
}
sl_cleanup() {
  local pid name
  touch "$WORK/stop" 2>/dev/null
  for name in "${SL_LOOPS[@]}"; do stop_loop "$name" 5 >/dev/null; done
  for pid in "${SL_PIDS[@]}"; do stop_pid "$pid"; done
  if [ -n "${KEEP:-}" ] || [ "${SL_FAILED:-0}" -ne 0 ]; then
    echo "work files kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}

# start NAME COMMAND...: in the background, output in $WORK/NAME.out and NAME.err; PID in $LAST_PID
start() {
  local name=$1
  shift
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  LAST_PID=$!
  SL_PIDS+=("$LAST_PID")
}

free_port() {  # a port nothing listens on, below the ephemeral range
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 10000))
    case " $USED_PORTS " in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      USED_PORTS="$USED_PORTS $p"
      echo "$p"
      return 0
    fi
  done
  sl_die "no free port found"
}

# wait_for FILE REGEX SECONDS: until an extended regex matches a line of FILE
wait_for() {
  local file=$1 pattern=$2 limit=${3:-10}
  local deadline=$((SECONDS + limit))
  until grep -qE -- "$pattern" "$file" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timed out after ${limit}s waiting for /$pattern/ in $(basename "$file")"
      return 1
    fi
    sleep 0.05
  done
}
# wait_port PORT SECONDS [PID]: until something accepts on PORT (fails early if PID died)
wait_port() {
  local port=$1 limit=$2 pid=${3:-} deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && return 1
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}
# wait_exit PID SECONDS: until the process is gone; its status in $EXIT_STATUS
wait_exit() {
  local pid=$1 limit=${2:-10} deadline=$((SECONDS + ${2:-10}))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
  wait "$pid"
  EXIT_STATUS=$?
  sl_forget "$pid"
  return 0
}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# --- certificates, fake-cas, easproxy -----------------------------------------------------------
# sl_certs: $WORK/cas.crt/.pem (the CAS, stable across its restarts) and proxy.crt/.pem.
sl_certs() {
  local who
  for who in cas proxy; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/$who.key" -out "$WORK/$who.crt" \
      >/dev/null 2>&1 || sl_die "openssl: cannot make the $who certificate"
    (umask 077 && cat "$WORK/$who.crt" "$WORK/$who.key" >"$WORK/$who.pem")
  done
}

# sl_cas_config: sites A and B on fixed ports ($CAS_A_PORT, $CAS_B_PORT), sam homed in A,
# alex in B (both internet-facing: alex's devices get 451 from A).
sl_cas_config() {
  CAS_A_PORT=$(free_port)
  CAS_B_PORT=$(free_port)
  CAS_ADMIN_PORT=$(free_port)
  cat >"$WORK/cas.toml" <<EOF
[[site]]
name = "A"
external_url = true
  [[site.cas]]
  name = "cas-a1"
  port = $CAS_A_PORT
[[site]]
name = "B"
external_url = true
  [[site.cas]]
  name = "cas-b1"
  port = $CAS_B_PORT
[[user]]
name = "alex"
password = "Passw0rd"
site = "B"
[[user]]
name = "sam"
password = "Passw0rd"
site = "A"
[eas]
require_provisioning = true
min_heartbeat = 1
max_heartbeat = 3540
large_attachment_size = 1048576
[admin]
port = $CAS_ADMIN_PORT
EOF
  CAS_A=https://127.0.0.1:$CAS_A_PORT
  CAS_B=https://127.0.0.1:$CAS_B_PORT
}
# sl_start_cas [LOGNAME]: starts fake-cas on the fixed ports; $CAS_PID
sl_start_cas() {
  local name=${1:-fake-cas}
  start "$name" "$FAKE_CAS" --config "$WORK/cas.toml" --cert "$WORK/cas.pem"
  CAS_PID=$LAST_PID
  wait_for "$WORK/$name.out" "admin url=" 15 >/dev/null || {
    tail -n 5 "$WORK/$name.err" >&2
    return 1
  }
}

# sl_start_proxy NAME PORT EXTRA...: easproxy in reverse mode in front of site A; $PROXY_PID
sl_start_proxy() {
  local name=$1 port=$2
  shift 2
  start "$name" "$EASPROXY" --mode "reverse:$CAS_A" --listen "127.0.0.1:$port" --cert "$WORK/proxy.pem" \
    --upstream-ca "$WORK/cas.crt" --trace "$WORK/$name.jsonl" --log-file "$WORK/$name.log" \
    --state "$WORK/$name-state.json" "$@"
  PROXY_PID=$LAST_PID
  wait_for "$WORK/$name.log" "listening on https://" 15 >/dev/null || {
    tail -n 5 "$WORK/$name.log" "$WORK/$name.err" >&2
    return 1
  }
}

# --- devices --------------------------------------------------------------------------------------
# device_loop NAME PERIOD ARGS...: runs eas-device ARGS --json again and again until
# $WORK/stop exists, PERIOD seconds apart (the pacing of the traffic); "{n}" in ARGS becomes the
# run's number (a fresh DeviceId per run), "{m}" the run's number modulo 20, plus 1 (DeviceIds
# from a pool of 20). Exchanges: $WORK/dev-NAME.jsonl; exit statuses, one
# a line: dev-NAME.exits; the running device's PID: dev-NAME.pid.
device_loop() {
  local name=$1 period=$2
  shift 2
  (
    n=0
    while [ ! -e "$WORK/stop" ] && [ ! -e "$WORK/stop-$name" ]; do
      n=$((n + 1))
      args=()
      for a in "$@"; do
        a=${a//\{n\}/$n}
        args+=("${a//\{m\}/$(((n - 1) % 20 + 1))}")
      done
      "$DEVICE" "${args[@]}" --json >>"$WORK/dev-$name.jsonl" 2>>"$WORK/dev-$name.err" &
      echo $! >"$WORK/dev-$name.pid"
      wait $!
      echo $? >>"$WORK/dev-$name.exits"
      [ -e "$WORK/stop" ] || [ -e "$WORK/stop-$name" ] && break
      sleep "$period"
    done
  ) &
  SL_PIDS+=($!)
  eval "LOOP_PID_${name//-/_}=$!"
  SL_LOOPS+=("$name")
}
# stop_loop NAME SECONDS: ends the loop: no new run, and the current device gets SIGTERM (it
# finishes the exchange in progress; a held Ping is abandoned); waits for the loop.
stop_loop() {
  local name=$1 limit=${2:-15} var pid last='' deadline
  var=LOOP_PID_${name//-/_}
  pid=${!var:-}
  [ -n "$pid" ] || return 0
  touch "$WORK/stop-$name"
  deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null; do
    local dev
    dev=$(cat "$WORK/dev-$name.pid" 2>/dev/null)
    if [ -n "$dev" ] && [ "$dev" != "$last" ]; then
      kill -TERM "$dev" 2>/dev/null
      last=$dev
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ -n "$dev" ] && kill -KILL "$dev" 2>/dev/null
      kill -KILL "$pid" 2>/dev/null
      echo "note: device loop $name did not stop in ${limit}s: SIGKILL"
      break
    fi
    sleep 0.05
  done
  wait "$pid" 2>/dev/null
  sl_forget "$pid"
  eval "LOOP_PID_${name//-/_}="
}

# first_ok_ms URL SECONDS: milliseconds until an OPTIONS through URL is answered 200 (polled,
# each try bounded by 2 s); -1 when none in SECONDS.
first_ok_ms() {
  local url=$1 limit=$2 t0 code
  t0=$(now_ms)
  while [ $(($(now_ms) - t0)) -lt $((limit * 1000)) ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$WORK/proxy.crt" \
      -u sam:Passw0rd -X OPTIONS "$url?User=sam&DeviceId=PROBE&DeviceType=curl" 2>/dev/null)
    if [ "$code" = 200 ]; then
      echo $(($(now_ms) - t0))
      return 0
    fi
    sleep 0.02
  done
  echo -1
  return 1
}
