# Helpers for integration tests that run real processes on 127.0.0.1.
# Every wait has a bound; nothing sleeps to synchronise. Processes started here are ended by PID.
#   source lib.sh BUILD_DIR

BUILD=${1:?build directory}
WORK=$(mktemp -d /tmp/easproxy-it.XXXXXX)
# easproxy keeps its CA and redirect bindings under $HOME/.easproxy: never the real one in a test.
export HOME=$WORK/home
mkdir -p "$HOME"
PIDS=()
PASSED=0
FAILED=0

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$FAILED" -eq 0 ] && [ -z "${KEEP_WORK:-}" ]; then rm -rf "$WORK"; else echo "work files kept in $WORK"; fi
}
trap cleanup EXIT

# start NAME COMMAND...: runs in the background, output in $WORK/NAME.out / NAME.err
start() {
  local name=$1
  shift
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}

# wait_for FILE PATTERN SECONDS: until an extended regex matches a line of FILE (also for trace
# records: the trace thread writes in batches up to 10 ms apart, after the client saw its answer)
wait_for() {
  local file=$1 pattern=$2 limit=${3:-10}
  local deadline=$((SECONDS + limit))
  until grep -qE -- "$pattern" "$file" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timed out after ${limit}s waiting for /$pattern/ in $(basename "$file")"
      tail -n 20 "$file" 2>/dev/null | sed 's/^/  | /'
      return 1
    fi
    sleep 0.05
  done
}

# wait_exit PID SECONDS: until the process is gone; its status in $EXIT_STATUS
wait_exit() {
  local pid=$1 limit=${2:-10}
  local deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "process $pid still running after ${limit}s"
      return 1
    fi
    sleep 0.05
  done
  wait "$pid"
  EXIT_STATUS=$?
  return 0
}

# make_proxy_cert: a certificate for easproxy's device side, made now and never committed:
# $WORK/proxy.crt (what clients trust), $WORK/proxy.pem (chain and key, mode 0600, for --cert)
make_proxy_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$WORK/proxy.key" -out "$WORK/proxy.crt" 2>/dev/null
  (umask 077 && cat "$WORK/proxy.crt" "$WORK/proxy.key" >"$WORK/proxy.pem")
}

ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
contains() { grep -qE -- "$2" "$1"; }
count_lines() { grep -cE -- "$2" "$1" 2>/dev/null || true; }

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
