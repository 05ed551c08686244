#!/usr/bin/env bash
# eas-probe against the simulated organisation (tools/fake-cas) in each scenario an
# administrator meets: a healthy account, HTTP 451 to another site (followed, --no-follow,
# --max-redirects), failover (site down: 503; mailbox moved: 451), an untrusted, mismatched or
# expired certificate (and --insecure), a wrong password (which never shows in the output), a
# redirect loop, and Autodiscover by e-mail address through --connect-to (direct, the HTTP
# redirect method, a Redirect to another address, an unknown address, a wrong password).
#   eas_probe_test.sh BUILD_DIR SOURCE_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh" "$1"
PROBE=$BUILD/tools/eas-probe
FAKE_CAS=$BUILD/tools/fake-cas
PASSWORD='Corr3ct-H0rse-42'
WRONG_PASSWORD='Wr0ng-S3cret-77'

# An organisation on contoso.test: alex homed in B, sam in A, and alex's old address, whose
# Autodiscover answers Redirect to the new one.
cat >"$WORK/org.toml" <<TOML
[[site]]
name = "A"
  [[site.cas]]
  name = "cas-a1"
  port = 0
[[site]]
name = "B"
  [[site.cas]]
  name = "cas-b1"
  port = 0
[[user]]
name = "alex"
password = "$PASSWORD"
site = "B"
[[user]]
name = "sam"
password = "$PASSWORD"
site = "A"
[[user]]
name = "alex.old"
password = "$PASSWORD"
site = "B"
autodiscover_redirect = "alex@contoso.test"
[eas]
domain = "contoso.test"
large_attachment = false
TOML

# A second organisation whose CAS certificate expired yesterday. Its site R is down in refuse
# mode: a port that is bound but refuses connections, for Autodiscover candidates that fail.
cat >"$WORK/expired.toml" <<TOML
[[site]]
name = "E"
  [[site.cas]]
  name = "cas-e1"
  port = 0
[[site]]
name = "R"
down = true
  [[site.cas]]
  name = "cas-r1"
  port = 0
[[user]]
name = "sam"
password = "$PASSWORD"
site = "E"
[scenario]
down_mode = "refuse"
[eas]
domain = "contoso.test"
large_attachment = false
TOML

# A certificate that expires in 10 days: valid, but due for renewal.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 10 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/soon.key" -out "$WORK/soon.crt" 2>/dev/null
(umask 077 && cat "$WORK/soon.crt" "$WORK/soon.key" >"$WORK/soon.pem")

start cas "$FAKE_CAS" --config "$WORK/org.toml" --ca-out "$WORK/cas-ca.pem" \
  --san mail-a.contoso.test --san mail-b.contoso.test --san autodiscover.contoso.test
start old "$FAKE_CAS" --config "$WORK/expired.toml" --ca-out "$WORK/old-ca.pem" --cert-expired
start cas-soon "$FAKE_CAS" --config "$WORK/expired.toml" --cert "$WORK/soon.pem"
wait_for "$WORK/cas.out" "admin url=" 15 || exit 1
wait_for "$WORK/old.out" "admin url=" 15 || exit 1
wait_for "$WORK/cas-soon.out" "admin url=" 15 || exit 1

# port LOG CAS: the port of a CAS from fake-cas's ready line
port() { grep -oE "cas=$2 url=https://127.0.0.1:[0-9]+" "$1" | grep -oE '[0-9]+$'; }
PORT_A=$(port "$WORK/cas.out" cas-a1)
PORT_B=$(port "$WORK/cas.out" cas-b1)
PORT_E=$(port "$WORK/old.out" cas-e1)
PORT_SOON=$(port "$WORK/cas-soon.out" cas-e1)
REFUSED=$(port "$WORK/old.out" cas-r1)
ADMIN=$(grep -oE 'admin url=[^ ]+' "$WORK/cas.out" | sed 's/.*url=//')
ADMIN_PORT=${ADMIN##*:}
admin() { curl -s -o /dev/null -w '%{http_code}' -X POST "$ADMIN/admin/$1"; }

# Both CAS advertise DNS names on 443, as a real organisation does; --connect-to maps them.
check "cas-a1 advertises https://mail-a.contoso.test" test "$(admin \
  "cas/cas-a1/advertise?url=https://mail-a.contoso.test/Microsoft-Server-ActiveSync")" = 200
check "cas-b1 advertises https://mail-b.contoso.test" test "$(admin \
  "cas/cas-b1/advertise?url=https://mail-b.contoso.test/Microsoft-Server-ActiveSync")" = 200
MAP=(--connect-to "mail-a.contoso.test:443:127.0.0.1:$PORT_A"
  --connect-to "mail-b.contoso.test:443:127.0.0.1:$PORT_B")
URL_A=https://mail-a.contoso.test/Microsoft-Server-ActiveSync
URL_B=https://mail-b.contoso.test/Microsoft-Server-ActiveSync

# probe NAME ARGS...: eas-probe (bounded by timeout), output in $WORK/NAME.out and .err, exit
# status in $STATUS. EAS_PASSWORD is $PASSWORD unless PW is set.
probe() {
  local name=$1
  shift
  EAS_PASSWORD=${PW:-$PASSWORD} timeout 60 "$PROBE" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  STATUS=$?
}
# step FILE VERDICT NAME [PATTERN]: a step line with that verdict (and reason)
step() { grep -qE -- "^  $2  $3 .*${4:-}" "$1"; }
# no_step FILE VERDICT: no step line has that verdict
no_step() { ! grep -qE -- "^  $2  " "$1"; }
# valid_json FILE: the whole file is one JSON document (perl's JSON::PP when installed; else
# the braces at least open and close it)
valid_json() {
  if perl -MJSON::PP -e 1 2>/dev/null; then
    perl -MJSON::PP -e 'local $/; decode_json(<STDIN>); 1' <"$1" 2>/dev/null
  else
    head -c1 "$1" | grep -q '{' && tail -n1 "$1" | grep -q '^}$'
  fi
}

# --- healthy: every step passes, exit 0 ------------------------------------------------------
probe healthy "$URL_A" --user sam --ca "$WORK/cas-ca.pem" "${MAP[@]}" --sync-inbox
check "healthy account: exit 0" test "$STATUS" -eq 0
for s in DNS "TCP connect" "TLS handshake" Certificate OPTIONS Provision FolderSync "Sync Inbox"; do
  check "  ... $s passes" step "$WORK/healthy.out" PASS "$s"
done
check "  ... nothing else than PASS" eval 'no_step "$WORK/healthy.out" WARN && no_step "$WORK/healthy.out" FAIL && no_step "$WORK/healthy.out" SKIP'
check "  ... --connect-to named in the DNS step" step "$WORK/healthy.out" PASS DNS \
  "mail-a.contoso.test:443 -> 127.0.0.1:$PORT_A by --connect-to"
check "  ... the certificate is checked for the real name" step "$WORK/healthy.out" PASS Certificate \
  "valid for mail-a.contoso.test until"
check "  ... the policy key is shown" step "$WORK/healthy.out" PASS Provision "policy key [0-9]+"
check "  ... folders counted and named" step "$WORK/healthy.out" PASS FolderSync "10 folders: Inbox, Drafts"
check "  ... Inbox items counted" step "$WORK/healthy.out" PASS "Sync Inbox" "3 items in the Inbox"
check "  ... a result line" contains "$WORK/healthy.out" "^Result: PASS \(exit 0\): 8 passed"

probe healthy-json "$URL_A" --user sam --ca "$WORK/cas-ca.pem" "${MAP[@]}" --json
check "--json: exit 0" test "$STATUS" -eq 0
check "  ... one valid JSON document" valid_json "$WORK/healthy-json.out"
check "  ... result pass" contains "$WORK/healthy-json.out" '"result": "pass"'
check "  ... every step listed with status and timing" test "$(count_lines "$WORK/healthy-json.out" '"status": "pass"')" -eq 7
check "  ... the EAS URL" contains "$WORK/healthy-json.out" "\"eas_url\": \"$URL_A\""
check "  ... no text output mixed in" eval '! grep -q "^Result:" "$WORK/healthy-json.out"'

probe anyhost "$URL_A" --user sam --ca "$WORK/cas-ca.pem" --connect-to ":443:127.0.0.1:$PORT_A"
check "--connect-to with an empty HOST maps every host" eval \
  '[ "$STATUS" -eq 0 ] && step "$WORK/anyhost.out" PASS DNS "by --connect-to"'
probe v121 "$URL_A" --user sam --ca "$WORK/cas-ca.pem" "${MAP[@]}" --eas-version 12.1 --sync-inbox
check "EAS 12.1: every step passes, exit 0" eval '[ "$STATUS" -eq 0 ] && step "$WORK/v121.out" PASS "Sync Inbox"'

# --- provisioning required but skipped: HTTP 449 before 14.0, Status 142 from 14.0 ------------
probe noprov12 "$URL_A" --user sam --device-id NOPROV12 --ca "$WORK/cas-ca.pem" "${MAP[@]}" \
  --eas-version 12.1 --no-provision
check "--no-provision against a server that requires it (12.1): exit 2" eval \
  '[ "$STATUS" -eq 2 ] && step "$WORK/noprov12.out" SKIP Provision "not run \(--no-provision\)"'
check "  ... FolderSync: 449 means Provision needed" step "$WORK/noprov12.out" FAIL FolderSync \
  "Provision needed: the server answers HTTP 449 .*\(run without --no-provision\)"
probe noprov14 "$URL_A" --user sam --device-id NOPROV14 --ca "$WORK/cas-ca.pem" "${MAP[@]}" --no-provision
check "  ... 14.1: Status 142 means the same" step "$WORK/noprov14.out" FAIL FolderSync \
  "Provision needed: the server answers Status 142 DeviceNotProvisioned"

# --- HTTP 451 to another site: a warning, followed; or a failure with --no-follow -------------
probe moved "$URL_A" --user alex --ca "$WORK/cas-ca.pem" "${MAP[@]}"
check "451 to site B: exit 1 (a warning)" test "$STATUS" -eq 1
check "  ... OPTIONS warns with X-MS-Location" step "$WORK/moved.out" WARN OPTIONS \
  "HTTP 451: the server redirects to $URL_B \(X-MS-Location\); followed"
check "  ... site B's origin is checked" step "$WORK/moved.out" PASS Certificate "valid for mail-b.contoso.test"
check "  ... and the steps pass there" step "$WORK/moved.out" PASS FolderSync "10 folders"
check "  ... the final EAS URL is B's" contains "$WORK/moved.out" "^EAS URL: $URL_B"
probe moved-json "$URL_A" --user alex --ca "$WORK/cas-ca.pem" "${MAP[@]}" --json
check "  ... --json: valid, result warn, the redirect listed as followed" eval \
  'valid_json "$WORK/moved-json.out" && contains "$WORK/moved-json.out" "\"result\": \"warn\"" &&
   tr -d " \n" <"$WORK/moved-json.out" | grep -q "\"kind\":\"HTTP451\",\"step\":\"OPTIONS\",\"from\":\"$URL_A\",\"to\":\"$URL_B\",\"followed\":true"'

probe nofollow "$URL_A" --user alex --ca "$WORK/cas-ca.pem" "${MAP[@]}" --no-follow
check "--no-follow: exit 2" test "$STATUS" -eq 2
check "  ... OPTIONS fails naming the new URL" step "$WORK/nofollow.out" FAIL OPTIONS \
  "redirects to $URL_B; not followed \(--no-follow\)"
check "  ... the rest is not run" step "$WORK/nofollow.out" SKIP FolderSync "not run: OPTIONS failed"
probe nohops "$URL_A" --user alex --ca "$WORK/cas-ca.pem" "${MAP[@]}" --max-redirects 0
check "--max-redirects 0: too many redirects, exit 2" eval \
  '[ "$STATUS" -eq 2 ] && step "$WORK/nohops.out" FAIL OPTIONS "too many redirects"'

# --- failover: the mailbox's site is down (503), then the mailbox moves (451) -----------------
check "site B goes down" test "$(admin site/B/down)" = 200
probe down "$URL_B" --user alex --ca "$WORK/cas-ca.pem" "${MAP[@]}"
check "site down: exit 2" test "$STATUS" -eq 2
check "  ... 503 in words with Retry-After" step "$WORK/down.out" FAIL OPTIONS \
  "HTTP 503 Service Unavailable: .*Retry-After: 30 s"
check "site B comes back, alex's mailbox moves to A" eval \
  '[ "$(admin site/B/up)" = 200 ] && [ "$(admin user/alex/move/A)" = 200 ]'
probe failover "$URL_B" --user alex --ca "$WORK/cas-ca.pem" "${MAP[@]}"
check "moved mailbox: 451 to site A followed, exit 1" eval \
  '[ "$STATUS" -eq 1 ] && step "$WORK/failover.out" WARN OPTIONS "redirects to $URL_A"'
check "  ... and the account works there" step "$WORK/failover.out" PASS FolderSync
admin user/alex/move/B >/dev/null

# --- certificates: untrusted, wrong name, expired ---------------------------------------------
probe untrusted "$URL_A" --user sam "${MAP[@]}"
check "untrusted CA: exit 2" test "$STATUS" -eq 2
check "  ... Certificate fails in words" step "$WORK/untrusted.out" FAIL Certificate \
  "the chain is not trusted: CN=fake-cas test CA.* is not a trusted CA"
check "  ... the probe stops there" step "$WORK/untrusted.out" SKIP OPTIONS "not run: Certificate failed"
probe insecure "$URL_A" --user sam "${MAP[@]}" --insecure
check "--insecure: the same problem is a warning, exit 1" eval \
  '[ "$STATUS" -eq 1 ] && step "$WORK/insecure.out" WARN Certificate "not trusted.*--insecure"'
check "  ... and the steps go on" step "$WORK/insecure.out" PASS FolderSync
probe mismatch https://wrong.contoso.test/Microsoft-Server-ActiveSync --user sam --ca "$WORK/cas-ca.pem" \
  --connect-to "wrong.contoso.test:443:127.0.0.1:$PORT_A"
check "a certificate for other names: exit 2" eval \
  '[ "$STATUS" -eq 2 ] && step "$WORK/mismatch.out" FAIL Certificate "not valid for wrong.contoso.test \(it names .*DNS:mail-a.contoso.test"'
probe expired "https://127.0.0.1:$PORT_E/Microsoft-Server-ActiveSync" --user sam --ca "$WORK/old-ca.pem"
check "expired certificate: exit 2" test "$STATUS" -eq 2
check "  ... Certificate fails with the date" step "$WORK/expired.out" FAIL Certificate \
  "the server's certificate expired on [0-9]{4}-[0-9]{2}-[0-9]{2}"
check "  ... and nothing else is wrong with it" eval '! grep -q "not trusted" "$WORK/expired.out"'
probe expired-insecure "https://127.0.0.1:$PORT_E/Microsoft-Server-ActiveSync" --user sam \
  --ca "$WORK/old-ca.pem" --insecure
check "  ... with --insecure a warning, exit 1" eval \
  '[ "$STATUS" -eq 1 ] && step "$WORK/expired-insecure.out" WARN Certificate "expired on"'

probe soon "https://127.0.0.1:$PORT_SOON/Microsoft-Server-ActiveSync" --user sam --ca "$WORK/soon.crt"
check "a certificate expiring within 30 days: a warning, exit 1" eval \
  '[ "$STATUS" -eq 1 ] && step "$WORK/soon.out" WARN Certificate "valid for 127.0.0.1 but expires in [0-9]+ days"'
check "  ... the account works" step "$WORK/soon.out" PASS FolderSync

# --- wrong password: 401 in words, and no password ever printed -------------------------------
PW=$WRONG_PASSWORD probe wrongpw "$URL_A" --user sam --ca "$WORK/cas-ca.pem" "${MAP[@]}"
check "wrong password: exit 2" test "$STATUS" -eq 2
check "  ... 401 in words" step "$WORK/wrongpw.out" FAIL OPTIONS \
  "wrong user name or password \(HTTP 401\): the server refused the credentials of sam"
PW=$WRONG_PASSWORD probe wrongpw-json "$URL_A" --user sam --ca "$WORK/cas-ca.pem" "${MAP[@]}" --json
check "  ... --json says so too" eval \
  '[ "$STATUS" -eq 2 ] && valid_json "$WORK/wrongpw-json.out" && contains "$WORK/wrongpw-json.out" "wrong user name or password"'

# --- a redirect loop ---------------------------------------------------------------------------
check "the organisation redirects in circles" test "$(admin loop/on)" = 200
probe loop "$URL_A" --user sam --ca "$WORK/cas-ca.pem" "${MAP[@]}"
check "redirect loop: exit 2" test "$STATUS" -eq 2
check "  ... the first 451 is followed" step "$WORK/loop.out" WARN OPTIONS "redirects to $URL_B"
check "  ... the second is a loop" step "$WORK/loop.out" FAIL OPTIONS \
  "redirect loop: $URL_A -> $URL_B -> $URL_A"
admin loop/off >/dev/null

# --- fake-cas's Autodiscover endpoint itself ------------------------------------------------------
ad_body() {  # ad_body EMAIL SCHEMA
  printf '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>%s</EMailAddress><AcceptableResponseSchema>%s</AcceptableResponseSchema></Request></Autodiscover>' "$1" "$2"
}
MOBILESYNC=http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/cas-ca.pem" -H 'Content-Type: text/xml' \
  --data-binary "$(ad_body sam@contoso.test "$MOBILESYNC")" "https://127.0.0.1:$PORT_A/autodiscover/autodiscover.xml")
check "fake-cas Autodiscover without credentials: 401" test "$code" = 401
curl -s --cacert "$WORK/cas-ca.pem" -u "sam:$PASSWORD" -H 'Content-Type: text/xml' -o "$WORK/ad-601.xml" \
  --data-binary "$(ad_body sam@contoso.test http://example.com/other-schema)" \
  "https://127.0.0.1:$PORT_A/autodiscover/autodiscover.xml"
check "  ... another response schema: error 601" contains "$WORK/ad-601.xml" "<ErrorCode>601</ErrorCode>"
curl -s --cacert "$WORK/cas-ca.pem" -u "sam:$PASSWORD" -H 'Content-Type: text/xml' -o "$WORK/ad-sam.xml" \
  --data-binary "$(ad_body sam@contoso.test "$MOBILESYNC")" "https://127.0.0.1:$PORT_B/autodiscover/autodiscover.xml"
check "  ... sam asked at site B: the EAS URL of sam's site A" \
  contains "$WORK/ad-sam.xml" "<Type>MobileSync</Type><Url>$URL_A</Url>"

# --- Autodiscover by e-mail address, names mapped with --connect-to ----------------------------
# contoso.test:443 refuses; autodiscover.contoso.test:443 is cas-a1.
AD=(--connect-to "contoso.test:443:127.0.0.1:$REFUSED")
# Port 80 (the redirect method) refuses too unless a test maps it: no real DNS is ever asked.
NO80=(--connect-to "autodiscover.contoso.test:80:127.0.0.1:$REFUSED")
probe ad "alex@contoso.test" --ca "$WORK/cas-ca.pem" "${AD[@]}" "${NO80[@]}" \
  --connect-to "autodiscover.contoso.test:443:127.0.0.1:$PORT_A" "${MAP[@]}"
check "Autodiscover: exit 0" test "$STATUS" -eq 0
check "  ... finds site B's EAS URL for alex" step "$WORK/ad.out" PASS Autodiscover "EAS URL $URL_B"
check "  ... after the first candidate failed" contains "$WORK/ad.out" \
  "POST https://contoso.test/autodiscover/autodiscover.xml: cannot connect.*refused"
check "  ... the steps run there with the address as user" eval \
  'step "$WORK/ad.out" PASS FolderSync && contains "$WORK/ad.out" "user alex@contoso.test"'

# The HTTP redirect method: both https candidates refuse; http://autodiscover.contoso.test is
# the admin port, whose 302 leads to cas-a1 by name.
check "the redirect method points at https://mail-a.contoso.test" test "$(admin \
  "autodiscover/redirect?url=https://mail-a.contoso.test/autodiscover/autodiscover.xml")" = 200
probe ad-302 "alex@contoso.test" --ca "$WORK/cas-ca.pem" "${AD[@]}" \
  --connect-to "autodiscover.contoso.test:443:127.0.0.1:$REFUSED" \
  --connect-to "autodiscover.contoso.test:80:127.0.0.1:$ADMIN_PORT" "${MAP[@]}"
check "Autodiscover by the redirect method: exit 0" test "$STATUS" -eq 0
check "  ... the 302 is reported" contains "$WORK/ad-302.out" \
  "GET http://autodiscover.contoso.test/autodiscover/autodiscover.xml: HTTP 302 to https://mail-a.contoso.test/autodiscover/autodiscover.xml"
check "  ... and gives the EAS URL" step "$WORK/ad-302.out" PASS Autodiscover "EAS URL $URL_B"

probe ad-redirect "alex.old@contoso.test" --ca "$WORK/cas-ca.pem" "${AD[@]}" "${NO80[@]}" \
  --connect-to "autodiscover.contoso.test:443:127.0.0.1:$PORT_A" "${MAP[@]}" --json
check "Autodiscover Redirect to a new address: a warning, exit 1" test "$STATUS" -eq 1
check "  ... followed to alex@contoso.test" eval 'valid_json "$WORK/ad-redirect.out" &&
  contains "$WORK/ad-redirect.out" "\"summary\": \"EAS URL $URL_B; after Autodiscover Redirect from alex.old@contoso.test to alex@contoso.test"'
check "  ... which becomes the user" contains "$WORK/ad-redirect.out" '"user": "alex@contoso.test"'
check "  ... the account works" eval 'tr -d " \n" <"$WORK/ad-redirect.out" | grep -q "\"name\":\"FolderSync\",\"target\":\"$URL_B\",\"status\":\"pass\""'

probe ad-unknown "nobody@contoso.test" --user sam --ca "$WORK/cas-ca.pem" "${AD[@]}" \
  --connect-to "autodiscover.contoso.test:443:127.0.0.1:$PORT_A" "${NO80[@]}"
check "Autodiscover of an unknown address: exit 2" test "$STATUS" -eq 2
check "  ... error 500 in words" step "$WORK/ad-unknown.out" FAIL Autodiscover \
  "Autodiscover error 500: the e-mail address cannot be found"
check "  ... nothing else runs" step "$WORK/ad-unknown.out" SKIP OPTIONS "not run: Autodiscover gave no EAS URL"

PW=$WRONG_PASSWORD probe ad-wrongpw "sam@contoso.test" --ca "$WORK/cas-ca.pem" "${AD[@]}" \
  --connect-to "autodiscover.contoso.test:443:127.0.0.1:$PORT_A" "${NO80[@]}"
check "Autodiscover with a wrong password: 401 in words, exit 2" eval \
  '[ "$STATUS" -eq 2 ] && step "$WORK/ad-wrongpw.out" FAIL Autodiscover "wrong user name or password \(HTTP 401 from https://autodiscover.contoso.test/"'

# --- usage errors share exit 2 with failures; no password without a terminal -------------------
probe usage-none
check "no target: usage error, exit 2" test "$STATUS" -eq 2
probe usage-user "$URL_A"
check "a URL without --user: exit 2" eval '[ "$STATUS" -eq 2 ] && contains "$WORK/usage-user.err" "--user is needed"'
probe usage-ct "$URL_A" --user sam --connect-to "nonsense"
check "a bad --connect-to: exit 2" eval '[ "$STATUS" -eq 2 ] && contains "$WORK/usage-ct.err" "HOST:PORT:ADDR:PORT2"'
# setsid: no controlling terminal, so /dev/tty cannot be opened even when ctest runs in one.
env -u EAS_PASSWORD timeout 10 setsid -w "$PROBE" "$URL_A" --user sam </dev/null >"$WORK/nopw.out" 2>"$WORK/nopw.err"
STATUS=$?
check "no EAS_PASSWORD and no terminal: exit 2 with the advice" eval \
  '[ "$STATUS" -eq 2 ] && contains "$WORK/nopw.err" "set EAS_PASSWORD"'

# --- the password never appears in any output ---------------------------------------------------
leaks=$(grep -lF -e "$PASSWORD" -e "$WRONG_PASSWORD" "$WORK"/*.out "$WORK"/*.err 2>/dev/null |
  grep -vE '/(cas|old|cas-soon)\.(out|err)$' || true)
check "no password in any eas-probe output (text or --json)" test -z "$leaks"

finish
