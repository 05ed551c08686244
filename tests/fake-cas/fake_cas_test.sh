#!/usr/bin/env bash
# Runs the real fake-cas the way the proxy's integration tests and the demo do: two sites,
# the 451 rule, Provision, FolderSync, Sync, Ping (held and woken), ItemOperations streaming
# of the 100 MB attachment (with fake-cas's RSS sampled meanwhile), SendMail, the admin
# switches, robustness and a clean SIGTERM. Needs bash, curl and openssl only.
#   fake_cas_test.sh PATH/TO/fake-cas PATH/TO/eas-decode
set -u
fake_cas=$1
decode=$2
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() {  # name, actual, expected
  if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', expected '$3'"; fi
}
contains() {  # name, file, fixed string
  if grep -qF -- "$3" "$2"; then ok; else
    fail "$1: '$3' not in $(basename "$2")"
    head -c 800 "$2" | sed 's/^/  /'
    echo
  fi
}

# ---- configuration and start-up -------------------------------------------------------------
cat >"$work/org.toml" <<'EOF'
[[site]]
name = "A"
external_url = true
  [[site.cas]]
  name = "cas-a1"
  port = 0
[[site]]
name = "B"
external_url = true
  [[site.cas]]
  name = "cas-b1"
  port = 0
[[user]]
name = "alex"
password = "Passw0rd"
site = "B"
[[user]]
name = "sam"
password = "Passw0rd"
site = "A"
[scenario]
retry_after = 7
EOF

"$fake_cas" --help >"$work/help" 2>&1
for opt in --config --ca-out --ready-file --plain --admin-port --host --cert --san --io-timeout --idle-timeout \
  --max-body --check; do
  contains "help lists $opt" "$work/help" "$opt"
done

printf '[[site]]\nname = "A"\n  [[site.cas]]\n  name = "a1"\n  prot = 0\n' >"$work/bad.toml"
"$fake_cas" --config "$work/bad.toml" --check 2>"$work/bad.err"
check "bad config exit status" "$?" 2
contains "bad config names file and line" "$work/bad.err" "bad.toml:5:3: unknown key \"prot\""

"$fake_cas" --config "$work/org.toml" --ca-out "$work/ca.pem" --ready-file "$work/ready.json" \
  --io-timeout 3 --idle-timeout 3 >"$work/stdout" 2>"$work/stderr" &
pid=$!
for _ in $(seq 200); do [ -f "$work/ready.json" ] && break; sleep 0.05; done
if [ ! -f "$work/ready.json" ]; then
  fail "no ready file within 10 s"
  cat "$work/stderr"
  exit 1
fi
ok
url_a=$(grep -o '"url": "[^"]*"' "$work/ready.json" | sed -n 1p | cut -d'"' -f4)
url_b=$(grep -o '"url": "[^"]*"' "$work/ready.json" | sed -n 2p | cut -d'"' -f4)
admin=$(grep -o '"admin": "[^"]*"' "$work/ready.json" | cut -d'"' -f4)
contains "ready line A" "$work/stdout" "fake-cas: ready site=A cas=cas-a1 url=$url_a"
contains "ready line B" "$work/stdout" "fake-cas: ready site=B cas=cas-b1 url=$url_b"
contains "ready file names the CA" "$work/ready.json" "\"ca\": \"$work/ca.pem\""
case $url_b in https://127.0.0.1:*/Microsoft-Server-ActiveSync) ok ;; *) fail "odd CAS URL $url_b" ;; esac

curl_tls=(curl -s --cacert "$work/ca.pem" --max-time 60)

# eas URL USER CMD DEVICE VERSION POLICYKEY XML|- [curl args...]: response head in $work/h,
# decoded body in $work/x (empty when there is none).
eas() {
  local url=$1 user=$2 cmd=$3 dev=$4 ver=$5 key=$6 xml=$7
  shift 7
  if [ "$xml" = - ]; then : >"$work/req"; else printf '%s' "$xml" | "$decode" --encode - >"$work/req"; fi
  "${curl_tls[@]}" -u "$user:Passw0rd" -D "$work/h" -o "$work/body" -H "MS-ASProtocolVersion: $ver" \
    ${key:+-H "X-MS-PolicyKey: $key"} -H "Content-Type: application/vnd.ms-sync.wbxml" \
    --data-binary @"$work/req" "$@" "$url?Cmd=$cmd&User=$user&DeviceId=$dev&DeviceType=TestPhone"
  : >"$work/x"
  [ -s "$work/body" ] && "$decode" --compact "$work/body" >"$work/x" 2>&1
  true
}
status_of() { head -1 "$work/h" | cut -d' ' -f2; }
header_of() { grep -i "^$1:" "$work/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
options() {  # user url
  "${curl_tls[@]}" -u "$1:Passw0rd" -X OPTIONS -D "$work/h" -o /dev/null "$2"
}
held() {  # user: held Ping/Sync requests, from the admin state
  curl -s "$admin/admin/state" | tr -d ' \n' | grep -o "\"held_requests\":[0-9]*,\"items\":{[^}]*},\"name\":\"$1\"" |
    cut -d: -f2 | cut -d, -f1
}
wait_held() {  # user count: bounded wait until that many requests are held
  for _ in $(seq 200); do [ "$(held "$1")" = "$2" ] && return 0; sleep 0.02; done
  return 1
}

# ---- OPTIONS and the 451 rule ------------------------------------------------------------
options alex "$url_b"
check "OPTIONS home site" "$(status_of)" 200
check "MS-ASProtocolVersions" "$(header_of MS-ASProtocolVersions)" "2.5,12.0,12.1,14.0,14.1,16.0,16.1"
contains "MS-ASProtocolCommands" "$work/h" "Sync,SendMail"
options alex "$url_a"
check "OPTIONS other site: 451" "$(status_of)" 451
check "451 X-MS-Location" "$(header_of X-MS-Location)" "$url_b"
check "451 Content-Length" "$(header_of Content-Length)" 0
options sam "$url_b"
check "sam at B: 451 to A" "$(header_of X-MS-Location)" "$url_a"
"${curl_tls[@]}" -X OPTIONS -D "$work/h" -o /dev/null "$url_b"
check "no credentials: 401" "$(status_of)" 401
contains "401 asks for Basic" "$work/h" 'WWW-Authenticate: Basic realm='
"${curl_tls[@]}" -u alex:wrong -X OPTIONS -D "$work/h" -o /dev/null "$url_b"
check "wrong password: 401" "$(status_of)" 401

# ---- Provision ---------------------------------------------------------------------------
fs0='<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>'
eas "$url_b" alex FolderSync dev1 14.1 "" "$fs0"
contains "unprovisioned 14.1: Status 142" "$work/x" "<Status>142</Status>"
eas "$url_b" alex FolderSync dev1 12.1 "" "$fs0"
check "unprovisioned 12.1: 449" "$(status_of)" 449
prov='<Provision xmlns="Provision:"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>'
eas "$url_b" alex Provision dev1 14.1 "" "$prov"
contains "policy document" "$work/x" "<EASProvisionDoc>"
temp=$(grep -o '<PolicyKey>[0-9]*' "$work/x" | cut -d'>' -f2)
eas "$url_b" alex Provision dev1 14.1 "$temp" "<Provision xmlns=\"Provision:\"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>$temp</PolicyKey><Status>1</Status></Policy></Policies></Provision>"
key=$(grep -o '<PolicyKey>[0-9]*' "$work/x" | cut -d'>' -f2)
[ -n "$key" ] && [ "$key" != "$temp" ] && ok || fail "no final PolicyKey (temporary $temp, final '$key')"
eas "$url_b" alex FolderSync dev1 14.1 "$temp" "$fs0"
contains "temporary key refused: 144" "$work/x" "<Status>144</Status>"

# ---- FolderSync, Sync ----------------------------------------------------------------------
eas "$url_b" alex FolderSync dev1 14.1 "$key" "$fs0"
contains "FolderSync Inbox" "$work/x" "<ServerId>2</ServerId><ParentId>0</ParentId><DisplayName>Inbox</DisplayName><Type>2</Type>"
contains "FolderSync Calendar" "$work/x" "<DisplayName>Calendar</DisplayName><Type>8</Type>"
eas "$url_b" alex FolderSync dev1 14.1 "$key" '<FolderSync xmlns="FolderHierarchy:"><SyncKey>1</SyncKey></FolderSync>'
contains "FolderSync no changes" "$work/x" "<Count>0</Count>"
eas "$url_b" alex FolderSync dev1 14.1 "$key" '<FolderSync xmlns="FolderHierarchy:"><SyncKey>99</SyncKey></FolderSync>'
contains "FolderSync bad key: 9" "$work/x" "<Status>9</Status>"

sync() {  # key [window] [extra top-level XML]
  eas "$url_b" alex Sync dev1 14.1 "$key" "<Sync xmlns=\"AirSync:\"><Collections><Collection><SyncKey>$1</SyncKey><CollectionId>2</CollectionId>${2:+<WindowSize>$2</WindowSize>}</Collection></Collections>${3:-}</Sync>"
}
sync 0
contains "Sync 0: new key" "$work/x" "<SyncKey>1</SyncKey><CollectionId>2</CollectionId><Status>1</Status>"
sync 1 2
contains "Sync window: MoreAvailable" "$work/x" "<MoreAvailable/>"
check "Sync window: 2 items" "$(grep -o '<Add>' "$work/x" | wc -l)" 2
contains "Sync item subject" "$work/x" '<Subject xmlns="Email:">'
sync 2
contains "Sync: the attachment" "$work/x" "<FileReference>2%3a4%3a0</FileReference>"
fileref=2%3a4%3a0
sync 3
check "Sync: nothing left" "$(grep -c '<Add>' "$work/x")" 0

# ---- Ping ------------------------------------------------------------------------------------
ping_xml() { echo "<Ping xmlns=\"Ping:\"><HeartbeatInterval>$1</HeartbeatInterval><Folders><Folder><Id>2</Id><Class>Email</Class></Folder></Folders></Ping>"; }
start=$(date +%s%N)
eas "$url_b" alex Ping dev1 14.1 "$key" "$(ping_xml 2)"
elapsed=$((($(date +%s%N) - start) / 1000000))
contains "Ping heartbeat: Status 1" "$work/x" "<Status>1</Status>"
[ "$elapsed" -ge 1900 ] && [ "$elapsed" -lt 5000 ] && ok || fail "Ping held ${elapsed} ms, expected ~2000"
eas "$url_b" alex Ping dev1 14.1 "$key" "$(ping_xml 5000)"
contains "Ping out of range: 5" "$work/x" "<Status>5</Status><!-- HeartbeatInterval out of range --><HeartbeatInterval>3540</HeartbeatInterval>"

eas "$url_b" alex Ping dev1 14.1 "$key" "$(ping_xml 30)" &
ping_job=$!
wait_held alex 1 && ok || fail "the Ping was never held"
curl -s -X POST "$admin/admin/user/alex/new-mail?subject=Wake+up" >"$work/admin.out"
contains "new-mail woke one" "$work/admin.out" '"woken":1'
start=$(date +%s%N)
wait $ping_job
contains "Ping woken: Status 2" "$work/x" "<Status>2</Status><!-- Changes in the listed folders (sync them) --><Folders><Folder>2</Folder></Folders>"

# Sync with HeartbeatInterval: empty 200 on expiry, the new item when mail arrives.
sync 4 "" "<HeartbeatInterval>30</HeartbeatInterval>"
contains "Sync picks up the new mail" "$work/x" "Wake up"
sync 5 "" "<HeartbeatInterval>2</HeartbeatInterval>"
check "Sync heartbeat expiry: 200" "$(status_of)" 200
check "Sync heartbeat expiry: empty body" "$(wc -c <"$work/body")" 0
sync 5 "" "<HeartbeatInterval>30</HeartbeatInterval>" &
sync_job=$!
wait_held alex 1 && ok || fail "the Sync was never held"
curl -s -X POST "$admin/admin/user/alex/new-mail?subject=Second" >/dev/null
wait $sync_job
contains "held Sync woken" "$work/x" "Second"

# ---- ItemOperations: the 100 MB attachment, streamed ---------------------------------------
io_xml="<ItemOperations xmlns=\"ItemOperations:\" xmlns:airsyncbase=\"AirSyncBase:\"><Fetch><Store>Mailbox</Store><airsyncbase:FileReference>$fileref</airsyncbase:FileReference></Fetch></ItemOperations>"
printf '%s' "$io_xml" | "$decode" --encode - >"$work/io.wbxml"
fetch() {  # extra curl args; the body goes to stdout
  "${curl_tls[@]}" -u alex:Passw0rd -H "MS-ASProtocolVersion: 14.1" -H "X-MS-PolicyKey: $key" \
    -H "Content-Type: application/vnd.ms-sync.wbxml" --data-binary @"$work/io.wbxml" "$@" \
    "$url_b?Cmd=ItemOperations&User=alex&DeviceId=dev1&DeviceType=TestPhone"
}
rss_kb() { grep VmRSS "/proc/$pid/status" | tr -s ' ' | cut -d' ' -f2; }
rss_before=$(rss_kb)
max_rss=0
# The client reads at 40 MB/s so the transfer lasts a few seconds while RSS is sampled.
fetch -H "MS-ASAcceptMultiPart: T" --limit-rate 40M -D "$work/h" -o "$work/multipart" &
fetch_job=$!
while kill -0 $fetch_job 2>/dev/null; do
  r=$(rss_kb)
  [ "$r" -gt "$max_rss" ] && max_rss=$r
  sleep 0.05
done
wait $fetch_job
check "multipart Content-Type" "$(header_of Content-Type)" "application/vnd.ms-sync.multipart"
check "multipart size" "$(wc -c <"$work/multipart")" "$(header_of Content-Length)"
echo "fake-cas RSS: ${rss_before} kB before, ${max_rss} kB at most while streaming 100 MB"
if ldd "$fake_cas" 2>/dev/null | grep -q libasan; then
  # AddressSanitizer keeps freed memory in quarantine (256 MB by default): RSS says nothing.
  echo "(AddressSanitizer build: RSS bound not checked)"
else
  [ "$max_rss" -lt $((rss_before + 32768)) ] && ok || fail "RSS grew from $rss_before to $max_rss kB"
fi
# Part table: 2 parts; part 1 starts after the WBXML part and holds the pattern.
parts=$(od -An -tu4 -N4 "$work/multipart" | tr -d ' ')
check "multipart: 2 parts" "$parts" 2
off1=$(od -An -tu4 -j12 -N4 "$work/multipart" | tr -d ' ')
len1=$(od -An -tu4 -j16 -N4 "$work/multipart" | tr -d ' ')
check "multipart: attachment length" "$len1" 104857600
for i in 0 1 65536 1000003 104857599; do
  want=$(((i * 7 + (i >> 16)) & 255))
  got=$(od -An -tu1 -j$((off1 + i)) -N1 "$work/multipart" | tr -d ' ')
  check "pattern byte $i" "$got" "$want"
done
rm -f "$work/multipart"
fetch -D "$work/h" -o /dev/null
check "inline base64 Content-Type" "$(header_of Content-Type)" "application/vnd.ms-sync.wbxml"
len=$(header_of Content-Length)
[ "$len" -gt 139810133 ] && ok || fail "inline body $len bytes, expected > 4/3 x 100 MB"
# A byte range inline, decoded and checked against the pattern.
range_xml="<ItemOperations xmlns=\"ItemOperations:\" xmlns:airsyncbase=\"AirSyncBase:\"><Fetch><Store>Mailbox</Store><airsyncbase:FileReference>$fileref</airsyncbase:FileReference><Options><Range>70000-70005</Range></Options></Fetch></ItemOperations>"
eas "$url_b" alex ItemOperations dev1 14.1 "$key" "$range_xml"
contains "Range echoed" "$work/x" "<Range>70000-70005</Range><Total>104857600</Total>"
data=$(grep -o '<Data>[^<]*' "$work/x" | cut -d'>' -f2 | base64 -d | od -An -tu1 | tr -s ' ' | sed 's/^ //')
want=""
for i in $(seq 70000 70005); do want="$want $(((i * 7 + (i >> 16)) & 255))"; done
check "Range bytes" "$data" "${want# }"
eas "$url_b" alex ItemOperations dev1 14.1 "$key" "${io_xml/$fileref/9%3a9%3a9}"
contains "unknown FileReference: 15" "$work/x" "<Status>15</Status>"

# ---- SendMail ------------------------------------------------------------------------------
mime=$(printf 'From: alex@contoso.com\r\nTo: "Sam" <sam@contoso.com>\r\nSubject: Lunch?\r\n\r\nShall we?\r\n' | base64 -w0)
eas "$url_b" alex SendMail dev1 14.1 "$key" "<SendMail xmlns=\"ComposeMail:\"><ClientId>c1</ClientId><SaveInSentItems/><Mime opaque=\"base64\">$mime</Mime></SendMail>"
check "SendMail 14.1: 200" "$(status_of)" 200
check "SendMail 14.1: empty body" "$(wc -c <"$work/body")" 0
curl -s "$admin/admin/state" >"$work/state"
contains "sam got it" "$work/state" '"Inbox":5'
contains "alex saved it" "$work/state" '"Sent Items":1'
printf 'From: alex@contoso.com\r\nTo: sam@contoso.com\r\nSubject: Legacy\r\n\r\nhi\r\n' >"$work/m.eml"
"${curl_tls[@]}" -u alex:Passw0rd -H "MS-ASProtocolVersion: 12.1" -H "X-MS-PolicyKey: $key" \
  -H "Content-Type: message/rfc822" --data-binary @"$work/m.eml" -D "$work/h" -o /dev/null \
  "$url_b?Cmd=SendMail&User=alex&DeviceId=dev1&DeviceType=TestPhone&SaveInSent=T"
check "SendMail 12.1 rfc822: 200" "$(status_of)" 200
curl -s "$admin/admin/state" >"$work/state"
contains "sam got the 12.1 one" "$work/state" '"Inbox":6'

# ---- garbage -------------------------------------------------------------------------------
printf 'not wbxml at all' >"$work/garbage"
"${curl_tls[@]}" -u alex:Passw0rd -H "MS-ASProtocolVersion: 14.1" -H "X-MS-PolicyKey: $key" \
  --data-binary @"$work/garbage" -o "$work/body" "$url_b?Cmd=Sync&User=alex&DeviceId=dev1&DeviceType=TestPhone"
"$decode" --compact "$work/body" >"$work/x" 2>&1
contains "garbage: Status 102" "$work/x" "<Status>102</Status>"
hostport=${url_b#https://}
printf 'GARBAGE / HTTP/1.1\r\n\r\n' | openssl s_client -quiet -connect "${hostport%%/*}" \
  -CAfile "$work/ca.pem" 2>/dev/null | head -1 >"$work/raw"
contains "malformed HTTP: 400" "$work/raw" "HTTP/1.1 400"
options alex "$url_b"
check "still serving after garbage" "$(status_of)" 200

# ---- base64 query --------------------------------------------------------------------------
# 14.1, FolderSync, en-US, DeviceId dev1, the policy key, DeviceType TestPhone, User alex.
b64=$( (printf '\x8d\x09\x09\x04\x04dev1\x04'
  printf "\\x$(printf %02x $((key & 255)))\\x$(printf %02x $(((key >> 8) & 255)))"
  printf "\\x$(printf %02x $(((key >> 16) & 255)))\\x$(printf %02x $(((key >> 24) & 255)))"
  printf '\x09TestPhone\x08\x04alex') | base64 -w0)
printf '%s' '<FolderSync xmlns="FolderHierarchy:"><SyncKey>1</SyncKey></FolderSync>' | "$decode" --encode - >"$work/req"
"${curl_tls[@]}" -u alex:Passw0rd -H "Content-Type: application/vnd.ms-sync.wbxml" --data-binary @"$work/req" \
  -D "$work/h" -o "$work/body" "$url_b?$b64"
"$decode" --compact "$work/body" >"$work/x" 2>&1
contains "base64 query served" "$work/x" "<Status>1</Status>"
"${curl_tls[@]}" -u alex:Passw0rd -H "Content-Type: application/vnd.ms-sync.wbxml" --data-binary @"$work/req" \
  -D "$work/h" -o /dev/null "$url_a?$b64"
check "base64 query at A: 451" "$(status_of)" 451

# ---- admin switches ------------------------------------------------------------------------
post() { curl -s -X POST -o /dev/null -w '%{http_code}' "$admin/admin/$1"; }
check "B ExternalUrl off" "$(post site/B/external-url/off)" 200
options alex "$url_a"
check "B not internet-facing: A proxies" "$(status_of)" 200
post site/B/external-url/on >/dev/null
check "B down" "$(post site/B/down)" 200
options alex "$url_a"
check "home site down: 503" "$(status_of)" 503
check "Retry-After" "$(header_of Retry-After)" 7
post down-mode/refuse >/dev/null
"${curl_tls[@]}" -o /dev/null "$url_b"
check "refuse mode: connection refused" "$?" 7
post site/B/up >/dev/null
options alex "$url_b"
check "B up again" "$(status_of)" 200
post down-mode/503 >/dev/null
check "move alex to A" "$(post user/alex/move/A)" 200
options alex "$url_b"
check "after the move B redirects" "$(header_of X-MS-Location)" "$url_a"
options alex "$url_a"
check "after the move A serves" "$(status_of)" 200
check "unknown site: 404" "$(post site/Z/down)" 404

# ---- logging -------------------------------------------------------------------------------
contains "log line" "$work/stderr" "site=B cas=cas-b1 user=alex device=dev1 type=TestPhone cmd=FolderSync http=200 eas=1"
contains "log names the 451 target" "$work/stderr" "http=451 eas=- "
contains "log 451 arrow" "$work/stderr" "451 -> $url_b"

# ---- SIGTERM with a held Ping ----------------------------------------------------------------
eas "$url_a" alex Ping dev1 14.1 "$key" "$(ping_xml 60)" &
ping_job=$!
wait_held alex 1 && ok || fail "the last Ping was never held"
start=$(date +%s%N)
kill -TERM "$pid"
wait "$pid"
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
pid=
check "SIGTERM exit status" "$rc" 0
[ "$elapsed" -lt 1000 ] && ok || fail "SIGTERM took ${elapsed} ms"
wait $ping_job 2>/dev/null
contains "stopped" "$work/stderr" "fake-cas: stopped"

echo "fake-cas: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
