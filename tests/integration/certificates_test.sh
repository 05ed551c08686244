#!/usr/bin/env bash
# Certificates and TLS for real devices, between real processes on 127.0.0.1: the CA commands,
# leaves per host (DNS and IP SANs, SNI), the leaf cache on disk, the CA install page, TLS 1.0
# for legacy devices, a wrong upstream certificate, an upstream asking for a client
# certificate, and a key log that tshark uses to decrypt a loopback capture.
#   certificates_test.sh BUILD_DIR SOURCE_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh" "$1"
SRC=$2
EASPROXY=$BUILD/easproxy
FAKE_CAS=$BUILD/tools/fake-cas
DEVICE=$BUILD/tools/eas-device
CA_DIR=$WORK/ca

# free_port: a port nothing listens on now (for tools that cannot take port 0)
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
listening_url() { grep -oE "listening on $2://127.0.0.1:[0-9]+" "$1" | tail -1 | sed 's/listening on //'; }

# --- easproxy ca init / show -------------------------------------------------------------------
"$EASPROXY" ca --ca-dir "$CA_DIR" init >"$WORK/init.out" 2>&1
check "easproxy ca init creates a CA" test $? -eq 0
check "  ... its key readable by its owner only" test "$(stat -c %a "$CA_DIR/ca-key.pem")" = 600
check "  ... an RSA 2048 key by default (legacy devices)" contains "$WORK/init.out" "key +RSA 2048 bits"
"$EASPROXY" ca --ca-dir "$CA_DIR" init >"$WORK/init2.out" 2>&1
check "a second init refuses to replace the CA devices trust" test $? -eq 2
check "  ... and says how to" contains "$WORK/init2.out" "already exists .*--force"
"$EASPROXY" ca --ca-dir "$CA_DIR" show >"$WORK/show.out" 2>&1
fp=$(openssl x509 -in "$CA_DIR/ca-cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
check "easproxy ca show prints the SHA-256 fingerprint openssl computes" contains "$WORK/show.out" "SHA-256 +$fp"
check "  ... subject and validity" contains "$WORK/show.out" "valid until +20[0-9]{2}-"
"$EASPROXY" ca --ca-dir "$WORK/ecdsa" init --key-type ecdsa >"$WORK/ec.out" 2>&1
check "easproxy ca init --key-type ecdsa makes a P-256 CA" contains "$WORK/ec.out" "key +EC P-256"

# --- the simulated CAS, and easproxy in regular mode with that CA ----------------------------
start cas "$FAKE_CAS" --config "$SRC/tools/fake-cas/two-sites.toml" --ca-out "$WORK/cas-ca.pem"
wait_for "$WORK/cas.out" "admin url=" 15 || exit 1
CAS_A=$(grep -oE 'site=A cas=[^ ]+ url=[^ ]+' "$WORK/cas.out" | sed 's/.*url=//')
CAS_PORT=$(echo "$CAS_A" | sed -E 's#https://[^:]+:([0-9]+)/.*#\1#')
start regular "$EASPROXY" --mode regular --ca-dir "$CA_DIR" --listen 127.0.0.1:0 \
  --upstream-ca "$WORK/cas-ca.pem" --web 127.0.0.1:0 --state ""
wait_for "$WORK/regular.err" "web page on http://" 10 || exit 1
REGULAR=$(listening_url "$WORK/regular.err" http)
WEB=$(grep -oE 'web page on http://127.0.0.1:[0-9]+/' "$WORK/regular.err" | sed 's/web page on //')

code=$(curl -s -o /dev/null -w '%{http_code}' -x "$REGULAR" --cacert "$CA_DIR/ca-cert.pem" -u sam:Passw0rd -X OPTIONS "$CAS_A")
check "curl trusting only the CA reaches the CAS through CONNECT" test "$code" = 200
"$DEVICE" --url "$CAS_A" --proxy "$REGULAR" --ca "$CA_DIR/ca-cert.pem" --user sam --password Passw0rd \
  --script options,provision,foldersync >"$WORK/device.out" 2>&1
check "eas-device trusting only the CA syncs through CONNECT" test $? -eq 0

# s_client through the proxy: the leaf's names and its verification against the CA
leaf_via() {  # leaf_via NAME CONNECT_HOST [s_client args]: the leaf shown for SNI NAME
  local name=$1 host=$2
  shift 2
  echo | timeout 10 openssl s_client -proxy "${REGULAR#http://}" -connect "$host:$CAS_PORT" \
    -servername "$name" -CAfile "$CA_DIR/ca-cert.pem" -verify_return_error "$@" 2>/dev/null
}
leaf_via localhost localhost -verify_hostname localhost >"$WORK/dns.out"
check "a DNS name gets a leaf with that DNS SAN, verified against the CA" contains "$WORK/dns.out" "Verify return code: 0 \(ok\)"
echo | timeout 10 openssl s_client -proxy "${REGULAR#http://}" -connect "127.0.0.1:$CAS_PORT" -noservername \
  -CAfile "$CA_DIR/ca-cert.pem" -verify_return_error -verify_ip 127.0.0.1 >"$WORK/ip.out" 2>/dev/null
check "an IP address (no SNI) gets a leaf with that IP SAN" contains "$WORK/ip.out" "Verify return code: 0 \(ok\)"
leaf_via mail.contoso.test 127.0.0.1 -verify_hostname mail.contoso.test >"$WORK/sni.out"
check "the SNI name wins over the CONNECT address" contains "$WORK/sni.out" "Verify return code: 0 \(ok\)"
openssl x509 -in "$CA_DIR/leaves/localhost.pem" -noout -text >"$WORK/leaf.txt" 2>&1
check "leaves are kept under CA_DIR/leaves" contains "$WORK/leaf.txt" "DNS:localhost"
days=$(( ($(date -d "$(openssl x509 -in "$CA_DIR/leaves/localhost.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
check "  ... valid about a year, within what phones accept ($days days)" test "$days" -le 366 -a "$days" -ge 364

# --- the CA install page, through the proxy and on the --web listener ---------------------------
curl -s -x "$REGULAR" -o "$WORK/page.html" "http://easproxy.cert/"
check "http://easproxy.cert/ through the proxy serves the install page" contains "$WORK/page.html" "Install the easproxy CA"
check "  ... showing the CA's fingerprint" contains "$WORK/page.html" "$fp"
curl -s -x "$REGULAR" -o "$WORK/ca.pem" "http://easproxy.cert/easproxy-ca.pem"
check "  ... the PEM parses and is the CA" test "$(openssl x509 -in "$WORK/ca.pem" -noout -fingerprint -sha256 | cut -d= -f2)" = "$fp"
curl -s -x "$REGULAR" -o "$WORK/ca.crt" "http://easproxy.cert/easproxy-ca.crt"
check "  ... the DER (.crt) parses and is the CA" \
  test "$(openssl x509 -inform DER -in "$WORK/ca.crt" -noout -fingerprint -sha256 | cut -d= -f2)" = "$fp"
curl -s -x "$REGULAR" -D "$WORK/mc.head" -o "$WORK/ca.mobileconfig" "http://easproxy.cert/easproxy-ca.mobileconfig"
check "  ... the iOS profile has the profile content type" contains "$WORK/mc.head" "Content-Type: application/x-apple-aspen-config"
sed -n '/<data>/,/<\/data>/p' "$WORK/ca.mobileconfig" | grep -v 'data>' | tr -d ' \t\n' | base64 -d >"$WORK/mc.der" 2>/dev/null
check "  ... and carries the CA as a root payload" cmp -s "$WORK/mc.der" "$WORK/ca.crt"
check "  ... of type com.apple.security.root" contains "$WORK/ca.mobileconfig" "<string>com.apple.security.root</string>"
curl -s -o "$WORK/web.pem" "${WEB}ca/easproxy-ca.pem"
check "the --web listener serves the same CA under /ca/" cmp -s "$WORK/web.pem" "$CA_DIR/ca-cert.pem"
"$EASPROXY" --mode regular --ca-dir "$CA_DIR" --listen 127.0.0.1:0 --web 0.0.0.0:0 >"$WORK/web-any.out" 2>&1
check "--web off loopback without --web-token is refused" contains "$WORK/web-any.out" "needs --web-token"

# --- the leaf cache survives a restart ------------------------------------------------------
before=$(openssl x509 -in "$CA_DIR/leaves/localhost.pem" -noout -fingerprint -sha256)
kill -TERM "$PID_regular" && wait_exit "$PID_regular" 10
start regular2 "$EASPROXY" --mode regular --ca-dir "$CA_DIR" --listen 127.0.0.1:0 --upstream-ca "$WORK/cas-ca.pem" --state ""
wait_for "$WORK/regular2.err" "listening on http://" 10 || exit 1
REGULAR=$(listening_url "$WORK/regular2.err" http)
leaf_via localhost localhost -showcerts >"$WORK/again.out"
served=$(sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$WORK/again.out" | head -n "$(grep -n 'END CERTIFICATE' "$WORK/again.out" | head -1 | cut -d: -f1)" |
  openssl x509 -noout -fingerprint -sha256 2>/dev/null)
check "after a restart the leaf on disk is served again, not minted anew" test "$served" = "$before"

# --- a wrong upstream certificate is refused with a clear error --------------------------------
start strict "$EASPROXY" --mode regular --ca-dir "$CA_DIR" --listen 127.0.0.1:0 --state ""
wait_for "$WORK/strict.err" "listening on http://" 10 || exit 1
code=$(curl -s -o "$WORK/strict.txt" -w '%{http_code}' -x "$(listening_url "$WORK/strict.err" http)" \
  --cacert "$CA_DIR/ca-cert.pem" -u sam:Passw0rd -X OPTIONS "$CAS_A")
check "an upstream certificate nobody vouches for gives 502" test "$code" = 502
check "  ... saying why" contains "$WORK/strict.txt" "certificate verify failed"
check "  ... in the log too" contains "$WORK/strict.err" "TLS handshake with 127.0.0.1:[0-9]+: certificate verify failed"

# --- TLS 1.0: refused by default, served with --device-tls-min 1.0 -----------------------------
"$EASPROXY" ca --ca-dir "$CA_DIR" leaf 127.0.0.1 localhost --out "$WORK/reverse.pem" >/dev/null
check "easproxy ca leaf writes a reverse-mode certificate file with mode 0600" test "$(stat -c %a "$WORK/reverse.pem")" = 600
ORIGIN_A=${CAS_A%/Microsoft-Server-ActiveSync}
start modern "$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/reverse.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --state ""
start legacy "$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/reverse.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --state "" --device-tls-min 1.0
wait_for "$WORK/modern.err" "listening on https://" 10 || exit 1
wait_for "$WORK/legacy.err" "listening on https://" 10 || exit 1
MODERN=$(listening_url "$WORK/modern.err" https)
LEGACY=$(listening_url "$WORK/legacy.err" https)
tls1() {
  printf 'OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: x\r\nAuthorization: Basic c2FtOlBhc3N3MHJk\r\nConnection: close\r\n\r\n' |
    timeout 10 openssl s_client -quiet -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -connect "${1#https://}" \
      -CAfile "$CA_DIR/ca-cert.pem" 2>&1
}
tls1 "$MODERN" >"$WORK/tls1-modern.out"
check "a TLS 1.0 client is refused by default" contains "$WORK/tls1-modern.out" "alert protocol version|unsupported protocol"
check "  ... and the log says how to admit it" wait_for "$WORK/modern.err" "below --device-tls-min; --device-tls-min 1.0 admits legacy devices" 5
tls1 "$LEGACY" >"$WORK/tls1-legacy.out"
check "with --device-tls-min 1.0 the TLS 1.0 client is served" contains "$WORK/tls1-legacy.out" "HTTP/1.1 200"
check "  ... after a warning at start" contains "$WORK/legacy.err" "--device-tls-min 1.0: devices may connect with TLS 1.0"

# --- an upstream that asks for a client certificate (mutual TLS) -------------------------------
"$EASPROXY" ca --ca-dir "$WORK/client-ca" init >/dev/null
"$EASPROXY" ca --ca-dir "$WORK/client-ca" leaf --client easproxy-client --out "$WORK/client.pem" >/dev/null
"$EASPROXY" ca --ca-dir "$WORK/server-ca" init >/dev/null
"$EASPROXY" ca --ca-dir "$WORK/server-ca" leaf 127.0.0.1 --out "$WORK/mtls-server.pem" >/dev/null
MTLS_PORT=$(free_port)
start mtls openssl s_server -accept "127.0.0.1:$MTLS_PORT" -cert "$WORK/mtls-server.pem" -key "$WORK/mtls-server.pem" \
  -Verify 1 -verify_return_error -CAfile "$WORK/client-ca/ca-cert.pem" -www
wait_for "$WORK/mtls.out" "ACCEPT" 10 || exit 1
for variant in without with; do
  extra=()
  [ "$variant" = with ] && extra=(--upstream-client-cert "$WORK/client.pem")
  start "mtls_$variant" "$EASPROXY" --mode "reverse:https://127.0.0.1:$MTLS_PORT" --listen 127.0.0.1:0 --plain \
    --upstream-ca "$WORK/server-ca/ca-cert.pem" --state "" "${extra[@]}"
  wait_for "$WORK/mtls_$variant.err" "listening on http://" 10 || exit 1
  curl -s -o "$WORK/mtls-$variant.txt" -w '%{http_code}' "$(listening_url "$WORK/mtls_$variant.err" http)/" >"$WORK/mtls-$variant.code"
done
check "an upstream requiring a client certificate refuses easproxy without one" test "$(cat "$WORK/mtls-without.code")" = 502
check "  ... and serves it with --upstream-client-cert" test "$(cat "$WORK/mtls-with.code")" = 200
check "  ... which presented the certificate" contains "$WORK/mtls-with.txt" "easproxy-client"

# --- --keylog: tshark decrypts a loopback capture of both sides with it -------------------------
start keyed "$EASPROXY" --mode "reverse:$ORIGIN_A" --listen 127.0.0.1:0 --cert "$WORK/reverse.pem" \
  --upstream-ca "$WORK/cas-ca.pem" --state "" --keylog "$WORK/keys.log"
wait_for "$WORK/keyed.err" "listening on https://" 10 || exit 1
KEYED=$(listening_url "$WORK/keyed.err" https)
check "the key log is created readable by its owner only" test "$(stat -c %a "$WORK/keys.log")" = 600
# -P -l: tshark also prints each packet as it captures it, so the test can wait on real packets
# ("Capturing on" comes before the capture is live).
start capture tshark -i lo -l -P -f "tcp port ${KEYED##*:} or tcp port $CAS_PORT" -w "$WORK/capture.pcapng"
wait_for "$WORK/capture.err" "Capturing on" 15 || exit 1
capture_live() {
  (exec 3<>"/dev/tcp/127.0.0.1/${KEYED##*:}") 2>/dev/null
  grep -q "${KEYED##*:}" "$WORK/capture.out"
}
deadline=$((SECONDS + 20))
until capture_live || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
check "the loopback capture is live" capture_live
seen_before=$(wc -l <"$WORK/capture.out")
curl -s -o /dev/null --cacert "$CA_DIR/ca-cert.pem" -u sam:Passw0rd -X OPTIONS \
  "$KEYED/Microsoft-Server-ActiveSync?Cmd=&User=sam&DeviceId=KEYLOGTEST&DeviceType=curl"
check "the key log has secrets of both connections (device and upstream)" \
  test "$(grep -c '^CLIENT_TRAFFIC_SECRET_0 ' "$WORK/keys.log")" -ge 2
# Stop once the capture has seen both legs of the exchange (both TLS handshakes and the data).
both_legs() { [ "$(($(wc -l <"$WORK/capture.out") - seen_before))" -ge 24 ]; }
deadline=$((SECONDS + 15))
until both_legs || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
kill -INT "$PID_capture" && wait_exit "$PID_capture" 10
tshark -r "$WORK/capture.pcapng" -o "tls.keylog_file:$WORK/keys.log" -Y http.request \
  -T fields -e tcp.dstport -e http.request.method -e http.request.uri >"$WORK/decrypted.txt" 2>&1
check "tshark decrypts the device's request with the key log" \
  contains "$WORK/decrypted.txt" "^${KEYED##*:}[[:space:]]OPTIONS[[:space:]].*KEYLOGTEST"
check "  ... and easproxy's request to the CAS" \
  contains "$WORK/decrypted.txt" "^$CAS_PORT[[:space:]]OPTIONS[[:space:]].*KEYLOGTEST"

finish
