#!/usr/bin/env bash
# The main job: easproxy in reverse mode in front of a simulated Exchange organisation.
#
# tools/fake-cas runs two AD sites, A and B, both internet-facing (the failover case of the
# seed article): sam's mailbox is in A, alex's in B. easproxy sits in front of site A's CAS.
# sam's phone syncs through easproxy; every exchange is decoded in the log. alex's legacy device
# talks to site A too, gets HTTP 451 with X-MS-Location pointing at site B, and, being legacy,
# ignores it: easproxy logs each 451 with where the device should have gone. Then easproxy runs
# with --on-451 follow: it re-sends the request to site B on the device's behalf, says so
# loudly, and the legacy device syncs. Ctrl-C ends everything cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${EASPROXY_JOBS:-2}" --target easproxy fake-cas eas-device eas-decode

work=$(mktemp -d /tmp/easproxy-demo.XXXXXX)
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop EXIT
trap 'echo; echo "demo: stopped"; exit 0' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() {  # FILE PATTERN: with a bound of 15 s
  local deadline=$((SECONDS + 15))
  until grep -qE -- "$2" "$1" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "demo: timed out waiting for $2 in $1" >&2; exit 1; }
    sleep 0.05
  done
}

say "Starting the simulated Exchange organisation (sites A and B, both with ExternalUrl set)"
build/tools/fake-cas --config tools/fake-cas/two-sites.toml --ca-out "$work/cas-ca.pem" \
  >"$work/fake-cas.out" 2>"$work/fake-cas.err" &
pids+=($!)
wait_for "$work/fake-cas.out" "admin url="
sed 's/^/  /' "$work/fake-cas.out"
cas_a=$(grep -oE 'site=A cas=cas-a1 url=[^ ]+' "$work/fake-cas.out" | sed 's/.*url=//')

say "Starting easproxy in front of site A (a certificate is made for it now; none is stored)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$work/proxy.key" -out "$work/proxy.crt" 2>/dev/null
(umask 077 && cat "$work/proxy.crt" "$work/proxy.key" >"$work/proxy.pem")

# easproxy's log lines are the show: they go straight to this terminal, and to a file to read
# the listening port from.
start_proxy() {  # LOG-NAME EXTRA-OPTIONS...
  local name=$1
  shift
  echo "  build/easproxy --mode reverse:${cas_a%/Microsoft-Server-ActiveSync} --listen 127.0.0.1:0 --cert proxy.pem --trace flows.jsonl $*"
  build/easproxy --mode "reverse:${cas_a%/Microsoft-Server-ActiveSync}" --listen 127.0.0.1:0 \
    --cert "$work/proxy.pem" --upstream-ca "$work/cas-ca.pem" --trace "$work/flows.jsonl" \
    --state "$work/redirects.json" "$@" \
    2> >(tee "$work/$name.log" | sed -u 's/^/  [easproxy] /' >&2) &
  proxy_pid=$!
  pids+=($proxy_pid)
  wait_for "$work/$name.log" "listening on https://"
  url=$(grep -oE 'https://127.0.0.1:[0-9]+' "$work/$name.log" | head -n 1)/Microsoft-Server-ActiveSync
}
start_proxy easproxy

device() {
  build/tools/eas-device --url "$url" --password Passw0rd --ca "$work/proxy.crt" --ca "$work/cas-ca.pem" "$@" 2>&1 |
    sed -u 's/^/  [device] /' || true
}
legacy_alex() {
  device --user alex --device-id WM6ALEX0001 --device-type WindowsMobile --user-agent 'MSFT-PPC/5.2.5082' \
    --behaviour legacy --retries 2 --retry-delay 1 "$@"
}

say "sam's iPhone (mailbox in site A) syncs through easproxy"
device --user sam --device-id ApplF17SAM01 --device-type iPhone --script options,provision,foldersync,sync,sync,ping:2,sendmail

say "alex's legacy device (mailbox in site B) talks to site A: HTTP 451, which it ignores"
legacy_alex --script foldersync

say "alex's compliant phone gets the same 451 and moves to site B (X-MS-Location)"
device --user alex --device-id ApplF17ALEX1 --device-type iPhone --script foldersync

say "Restarting easproxy with --on-451 follow: it bridges the legacy device to site B"
kill -TERM "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || true
start_proxy easproxy-follow --on-451 follow
legacy_alex --script foldersync,sync,sync

say "The trace: one JSON object per flow ($(wc -l <"$work/flows.jsonl") flows), credentials redacted"
grep '"x_ms_location"' "$work/flows.jsonl" | head -n 1 | cut -c1-400
echo "  ..."

say "Decoding a request line in the base64 form, as iOS sends it"
build/tools/eas-decode --request-line '/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l' | sed 's/^/  /'

say "Done: every exchange decoded, every 451 logged, and the legacy device bridged by --on-451 follow."
