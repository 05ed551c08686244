-- wrk script for tools/bench/bench.sh: an EAS Sync, as a phone sends it, over keep-alive TLS.
-- The WBXML body comes from $BENCH_SYNC_BODY (made from tests/corpus by eas-decode --encode);
-- the query names the command, user and device (the URL on wrk's command line carries it).
-- done() writes one JSON object to $BENCH_WRK_OUT.
local f = assert(io.open(os.getenv("BENCH_SYNC_BODY"), "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/vnd.ms-sync.wbxml"
wrk.headers["MS-ASProtocolVersion"] = "14.1"
wrk.headers["User-Agent"] = "Apple-iPhone9C1/1402.72"
wrk.headers["X-MS-PolicyKey"] = "3942919513"
wrk.headers["Authorization"] = "Basic YWxleDpiZW5jaA==" -- alex:bench
wrk.headers["Accept-Language"] = "en-us"

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("BENCH_WRK_OUT"), "w"))
  local e = summary.errors
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(99), latency.mean, latency.max, e.connect, e.read, e.write, e.status,
    e.timeout))
  out:close()
end
