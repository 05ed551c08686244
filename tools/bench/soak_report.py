#!/usr/bin/env python3
"""The verdict of tools/bench/soak.sh: exchanges the devices made through easproxy (from
eas-device --json) against easproxy's trace records, per command; failed requests; RSS after
warm-up. Prints a PASS/FAIL table, writes JSON (--out), exits 0 when every check passed."""
import argparse
import glob
import json
import os
import sys


def trace_command(rec):
    eas = (rec.get("request") or {}).get("eas") or {}
    cmd = eas.get("command") or ""
    if not cmd:
        method = (rec.get("request") or {}).get("method", "?")
        cmd = "Options" if method == "OPTIONS" else method
    return cmd


def trace_device(rec):
    return ((rec.get("request") or {}).get("eas") or {}).get("device_id", "")


def is_failure(ex):
    """A failed exchange: no answer, a 5xx, or a 4xx other than 449 (provisioning, which the
    device handles) and a 451 carrying X-MS-Location (the redirect this soak asks for)."""
    code = ex.get("http_status")
    if code is None:
        return True
    if code >= 500:
        return True
    if code >= 400 and code != 449 and not (code == 451 and ex.get("redirect_to")):
        return True
    return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--proxy-url", required=True)
    p.add_argument("--trace", required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--proxy-exit", default="")
    p.add_argument("--proxy-log", default="")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    # Client side.
    client, client_direct, failures, per_device, abandoned = {}, 0, [], {}, {}
    for path in sorted(glob.glob(os.path.join(a.work, "dev-*.jsonl"))):
        name = os.path.basename(path)[4:-6]
        with open(path, errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    ex = json.loads(line)
                except json.JSONDecodeError:
                    failures.append({"device_loop": name, "unreadable": line[:200]})
                    continue
                if not ex.get("url", "").startswith(a.proxy_url):
                    client_direct += 1  # a compliant device that moved to site B on its own
                    continue
                cmd = ex.get("cmd", "?")
                client[cmd] = client.get(cmd, 0) + 1
                per_device[name] = per_device.get(name, 0) + 1
                if ex.get("http_status") is None and ex.get("error") == "interrupted":
                    # A held Ping the soak's own stop cut short (SIGTERM to the device): easproxy
                    # traces it as the device hanging up.
                    abandoned[cmd] = abandoned.get(cmd, 0) + 1
                elif is_failure(ex):
                    failures.append({"device_loop": name, "cmd": cmd, "http_status": ex.get("http_status"),
                                     "error": ex.get("error"), "device_id": ex.get("device_id")})
    exits = {}
    for path in sorted(glob.glob(os.path.join(a.work, "dev-*.exits"))):
        name = os.path.basename(path)[4:-6]
        with open(path) as f:
            codes = [int(x) for x in f.read().split() if x.strip().lstrip("-").isdigit()]
        exits[name] = {"runs": len(codes), "failed": sum(1 for c in codes if c != 0)}
    failed_runs = sum(e["failed"] for e in exits.values())
    # Why runs failed: the device's last words.
    run_errors = []
    for path in sorted(glob.glob(os.path.join(a.work, "dev-*.err"))):
        with open(path, errors="replace") as f:
            run_errors += [ln.strip() for ln in f if "failed:" in ln][:5]

    # Trace side.
    trace, trace_errors, trace_hangups, unreadable, decisions = {}, {}, {}, 0, {}
    records = 0
    if os.path.exists(a.trace):
        with open(a.trace, errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    unreadable += 1
                    continue
                if trace_device(rec) == "PROBE":
                    continue
                records += 1
                cmd = trace_command(rec)
                trace[cmd] = trace.get(cmd, 0) + 1
                decision = (rec.get("redirect") or {}).get("decision")
                if decision:
                    decisions[decision] = decisions.get(decision, 0) + 1
                err = rec.get("error")
                if err:
                    trace_errors[cmd] = trace_errors.get(cmd, 0) + 1
                    if err.get("stage") == "device":
                        trace_hangups[cmd] = trace_hangups.get(cmd, 0) + 1

    # RSS.
    samples = []
    with open(os.path.join(a.work, "rss.tsv")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                samples.append((float(parts[0]), int(parts[1]), int(parts[2]) if len(parts) > 2 else 0))
    after = [s for s in samples if s[0] >= a.warmup]
    rss_warm = after[0][1] if after else None
    rss_end = samples[-1][1] if samples else None
    rss_max = max(s[1] for s in after) if after else None
    growth = (rss_end - rss_warm) * 100.0 / rss_warm if rss_warm else None
    fds_warm = after[0][2] if after else None
    fds_end = samples[-1][2] if samples else None

    # Checks.
    commands = sorted(set(client) | set(trace))
    table = []
    flows_ok = True
    for cmd in commands:
        c = client.get(cmd, 0)
        t = trace.get(cmd, 0)
        ab = abandoned.get(cmd, 0)
        # Each exchange one record; the ones the stop cut short are the device hang-ups traced.
        ok = t == c and trace_hangups.get(cmd, 0) == ab
        flows_ok &= ok
        table.append({"command": cmd, "client": c, "abandoned_at_stop": ab, "trace": t,
                      "trace_errors": trace_errors.get(cmd, 0), "ok": ok})
    total_client = sum(client.values())
    checks = [
        ("easproxy ran to the end and exited 0 on SIGTERM", a.proxy_exit == "0", f"exit {a.proxy_exit}"),
        ("no failed request through easproxy", not failures, f"{len(failures)} failed of {total_client}"),
        ("no device run failed", failed_runs == 0,
         f"{failed_runs} of {sum(e['runs'] for e in exits.values())} runs"),
        ("every exchange has its trace record, per command", flows_ok and unreadable == 0,
         f"client {total_client} ({sum(abandoned.values())} cut short by the stop), trace {records}"
         + (f", {unreadable} unreadable lines" if unreadable else "")),
        ("RSS flat after warm-up (growth < 5 %)", growth is not None and growth < 5.0,
         f"{rss_warm} kB at {a.warmup:.0f}s -> {rss_end} kB at end ({growth:+.2f} %), max {rss_max} kB"
         if growth is not None else "no samples after warm-up"),
    ]
    passed = all(ok for _, ok, _ in checks)

    print()
    print(f"soak: {a.duration:.0f} s, {total_client} exchanges through easproxy "
          f"({total_client / a.duration:.1f}/s; target {a.rate:g}/s), {client_direct} more "
          "straight to site B after a passed 451")
    print(f"  {'command':<14}{'client':>9}{'cut short':>11}{'trace':>9}{'errors':>8}  match")
    for row in table:
        print(f"  {row['command']:<14}{row['client']:>9}{row['abandoned_at_stop']:>11}{row['trace']:>9}"
              f"{row['trace_errors']:>8}  {'yes' if row['ok'] else 'NO'}")
    print("  451s in the trace: " + (", ".join(f"{v} {k}" for k, v in sorted(decisions.items())) or "none"))
    print(f"  RSS after warm-up {rss_warm} kB, end {rss_end} kB, max {rss_max} kB; descriptors {fds_warm} -> {fds_end}")
    print()
    for what, ok, detail in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {what}: {detail}")
    for f_ in failures[:10]:
        print(f"    failed: {json.dumps(f_)}")
    for e in run_errors[:10]:
        print(f"    device: {e}")
    print(f"soak: {'PASS' if passed else 'FAIL'}")

    result = {
        "test": "soak", "passed": passed, "duration_s": a.duration, "warmup_s": a.warmup,
        "target_rate": a.rate, "exchanges_via_proxy": total_client,
        "exchanges_direct_after_pass": client_direct, "per_command": table,
        "per_device_loop": per_device, "device_runs": exits, "failures": failures[:100],
        "failure_count": len(failures), "trace_records": records, "redirect_decisions": decisions, "trace_unreadable": unreadable,
        "rss_kb": {"after_warmup": rss_warm, "end": rss_end, "max_after_warmup": rss_max,
                   "growth_percent": round(growth, 3) if growth is not None else None},
        "fds": {"after_warmup": fds_warm, "end": fds_end},
        "rss_samples": samples, "proxy_exit": a.proxy_exit,
        "checks": [{"check": w, "passed": ok, "detail": d} for w, ok, d in checks],
    }
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"results: {a.out}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
