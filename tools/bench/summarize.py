#!/usr/bin/env python3
"""Summary tables and JSON for tools/bench/bench.sh.

usage: summarize.py RESULTS.tsv NOTES.txt OUT.json   (BENCH_META: JSON object with the run's facts)

RESULTS.tsv has one line per measurement: test, peer, repetition, then key=value fields.
Figures are given as min/median/max over repetitions, and easproxy's as ratios against peers
measured in the same repetition (on a shared machine only those compare).
"""
import json
import os
import statistics
import sys

EASPROXY = ("easproxy", "easproxy-notrace", "easproxy-cmp", "easproxy-cmp-notrace")
REFERENCES = ("nginx", "haproxy", "mitmproxy")
ORDER = ("direct", "nginx", "haproxy", "mitmproxy", "easproxy", "easproxy-notrace", "easproxy-cmp",
         "easproxy-cmp-notrace")
LABELS = {
    "direct": "direct to the upstream",
    "nginx": "nginx (1 worker)",
    "haproxy": "HAProxy (1 thread)",
    "mitmproxy": "mitmproxy (mitmdump)",
    "easproxy": "easproxy, trace on",
    "easproxy-notrace": "easproxy, no trace",
    "easproxy-cmp": "--compare build, trace on",
    "easproxy-cmp-notrace": "--compare build, no trace",
}


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            row = {"test": parts[0], "peer": parts[1], "rep": int(parts[2])}
            for kv in parts[3:]:
                k, _, v = kv.partition("=")
                row[k] = v
            rows.append(row)
    return rows


def mmm(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def fmt(m, spec="{:.0f}"):
    if not m:
        return "-"
    return " / ".join(spec.format(m[k]) for k in ("min", "median", "max"))


def table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    out = ["  " + "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))]
    out.append("  " + "  ".join("-" * w for w in widths))
    for r in rows:
        out.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    return "\n".join(out)


def ordered(peers):
    return sorted(peers, key=lambda p: ORDER.index(p) if p in ORDER else len(ORDER))


def throughput(rows):
    per_rep = {}  # peer -> rep -> figures
    for r in rows:
        if r["test"] != "rps":
            continue
        w = json.loads(r["wrk"])
        secs = w["duration_us"] / 1e6
        reqs = w["requests"]
        tck = float(r["clk_tck"])
        has_proxy = r.get("has_proxy") == "1"
        proxy_cpu = int(r["proxy_ticks"]) / tck
        up_cpu = int(r["upstream_ticks"]) / tck
        errors = sum(w["errors"].values())
        per_rep.setdefault(r["peer"], {})[r["rep"]] = {
            "requests_per_s": reqs / secs if secs else 0.0,
            "p50_ms": w["p50_us"] / 1000.0,
            "p99_ms": w["p99_us"] / 1000.0,
            "proxy_cpu_us_per_request": proxy_cpu * 1e6 / reqs if has_proxy and reqs else None,
            "proxy_cpu_busy": proxy_cpu / secs if has_proxy and secs else None,
            "upstream_cpu_us_per_request": up_cpu * 1e6 / reqs if reqs else None,
            "requests": reqs,
            "errors": errors,
        }
    summary = {}
    for peer, reps in per_rep.items():
        keys = next(iter(reps.values())).keys()
        summary[peer] = {k: mmm([v[k] for v in reps.values()]) for k in keys if k not in ("requests", "errors")}
        summary[peer]["errors"] = sum(v["errors"] for v in reps.values())
        summary[peer]["repetitions"] = len(reps)
    ratios = {}
    pairs = [(e, ref) for e in EASPROXY for ref in REFERENCES]
    pairs += [("easproxy-cmp", "easproxy"), ("easproxy-cmp-notrace", "easproxy-notrace")]
    for e, ref in pairs:
        if e not in per_rep or ref not in per_rep:
            continue
        reps = sorted(set(per_rep[e]) & set(per_rep[ref]))
        rps = [per_rep[e][i]["requests_per_s"] / per_rep[ref][i]["requests_per_s"] for i in reps
               if per_rep[ref][i]["requests_per_s"]]
        cpu = [per_rep[e][i]["proxy_cpu_us_per_request"] / per_rep[ref][i]["proxy_cpu_us_per_request"]
               for i in reps if per_rep[e][i]["proxy_cpu_us_per_request"]
               and per_rep[ref][i]["proxy_cpu_us_per_request"]]
        p99 = [per_rep[e][i]["p99_ms"] / per_rep[ref][i]["p99_ms"] for i in reps if per_rep[ref][i]["p99_ms"]]
        ratios[f"{e}/{ref}"] = {"requests_per_s": mmm(rps), "cpu_per_request": mmm(cpu), "p99": mmm(p99)}
    return per_rep, summary, ratios


def hold(rows):
    out = []
    for r in rows:
        if r["test"] != "hold":
            continue
        held = int(r["held"])
        n = int(r["n"])
        growth = int(r["rss1_kb"]) - int(r["rss0_kb"])
        out.append({
            "label": r["peer"], "peer": r.get("proxy", r["peer"]),
            "n": n, "held_at_upstream": held,
            "rss_before_mb": int(r["rss0_kb"]) / 1024, "rss_held_mb": int(r["rss1_kb"]) / 1024,
            "kb_per_held_connection": growth / held if held else None,
            "answered": int(r["answered"]), "answered_200": int(r["ok"]), "failed": int(r["failed"]),
            "seconds_to_answer_all": float(r["answer_seconds"]),
        })
    return out


def stream(rows):
    per = {}
    for r in rows:
        if r["test"] != "stream":
            continue
        secs = float(r["seconds"] or 0)
        ok = r["code"] == "200" and r["bytes"] == r["expected"]
        tck = float(r["clk_tck"])
        hwm_ok = r["hwm_ok"] == "1" and r["peer"] != "direct"
        per.setdefault(r["peer"], []).append({
            "ok": ok, "seconds": secs,
            "mb_per_s": int(r["bytes"]) / 1048576 / secs if secs else None,
            "peak_rss_growth_mb": (int(r["hwm_kb"]) - int(r["rss0_kb"])) / 1024 if hwm_ok else None,
            "proxy_cpu_s": int(r["proxy_ticks"]) / tck if r["peer"] != "direct" else None,
        })
    return {p: {"ok": all(x["ok"] for x in v),
                "seconds": mmm([x["seconds"] for x in v]),
                "mb_per_s": mmm([x["mb_per_s"] for x in v]),
                "peak_rss_growth_mb": mmm([x["peak_rss_growth_mb"] for x in v]),
                "proxy_cpu_s": mmm([x["proxy_cpu_s"] for x in v]),
                "repetitions": len(v)} for p, v in per.items()}


def main():
    results, notes_path, out_path = sys.argv[1:4]
    rows = parse(results)
    meta = json.loads(os.environ.get("BENCH_META", "{}") or "{}")
    notes = [n for n in open(notes_path).read().splitlines() if n.strip()] if os.path.exists(notes_path) else []
    per_rep, rps, ratios = throughput(rows)
    held = hold(rows)
    held_ratios = {}
    streamed = stream(rows)
    stream_ratios = {}

    print()
    print("== summary (min / median / max over repetitions; a shared machine: compare ratios, not absolutes)")
    if rps:
        print()
        print("Throughput: EAS Sync over keep-alive TLS, wrk on CPU 0 with the upstream, proxy on CPU 1")
        rows_out = []
        for p in ordered(rps):
            s = rps[p]
            rows_out.append([LABELS.get(p, p), fmt(s["requests_per_s"]), fmt(s["p50_ms"], "{:.2f}"),
                             fmt(s["p99_ms"], "{:.2f}"), fmt(s["proxy_cpu_us_per_request"], "{:.0f}"),
                             fmt(s["proxy_cpu_busy"] and {k: 100 * v for k, v in s["proxy_cpu_busy"].items()}, "{:.0f}"),
                             s["errors"]])
        print(table(["peer", "requests/s", "p50 ms", "p99 ms", "proxy CPU us/request", "proxy CPU %", "errors"], rows_out))
        if ratios:
            print()
            print("Ratios, repetition by repetition (requests/s: higher is better for easproxy; CPU per request and p99: lower is better)")
            print(table(["ratio", "requests/s", "CPU per request", "p99 latency"],
                        [[k, fmt(v["requests_per_s"], "{:.2f}"), fmt(v["cpu_per_request"], "{:.2f}"), fmt(v["p99"], "{:.2f}")]
                         for k, v in ratios.items()]))
    if held:
        print()
        print("Held connections: Pings parked at the upstream, memory of all the proxy's processes")
        print(table(["run", "held", "RSS before MB", "RSS held MB", "KB per held Ping", "answered 200", "seconds to answer all"],
                    [[h["label"], f"{h['held_at_upstream']}/{h['n']}", f"{h['rss_before_mb']:.1f}", f"{h['rss_held_mb']:.1f}",
                      "-" if h["kb_per_held_connection"] is None else f"{h['kb_per_held_connection']:.1f}",
                      f"{h['answered_200']}/{h['n']}", f"{h['seconds_to_answer_all']:.2f}"] for h in held]))
        by_label = {h["label"]: h for h in held}
        lines = []
        for e in ("easproxy", "easproxy-cmp"):
            for ref in ("nginx", "haproxy", "mitmproxy", "easproxy"):
                a, b = by_label.get(e), by_label.get(ref)
                if e != ref and a and b and a["kb_per_held_connection"] and b["kb_per_held_connection"]:
                    r = a["kb_per_held_connection"] / b["kb_per_held_connection"]
                    held_ratios[f"{e}/{ref}"] = r
                    lines.append(f"  {e}/{ref}: {r:.3g}x the memory per held Ping")
        if lines:
            print("\n".join(lines))
    if streamed:
        print()
        print("Streaming: one large response, curl on CPU 0")
        print(table(["peer", "seconds", "MB/s", "peak RSS growth MB", "proxy CPU s", "complete"],
                    [[LABELS.get(p, p), fmt(s["seconds"], "{:.2f}"), fmt(s["mb_per_s"], "{:.0f}"),
                      fmt(s["peak_rss_growth_mb"], "{:.1f}"), fmt(s["proxy_cpu_s"], "{:.2f}"),
                      "yes" if s["ok"] else "NO"] for p, s in ((p, streamed[p]) for p in ordered(streamed))]))
        for e in ("easproxy", "easproxy-cmp"):
            for ref in ("nginx", "haproxy", "mitmproxy"):
                a, b = streamed.get(e), streamed.get(ref)
                if a and b and a["seconds"] and b["seconds"]:
                    stream_ratios[f"{e}/{ref}"] = {"seconds": a["seconds"]["median"] / b["seconds"]["median"]}
                    print(f"  {e}/{ref}: {stream_ratios[f'{e}/{ref}']['seconds']:.3g}x the time (medians)")
    # Soak and faults: pass/fail, their own JSON carried over whole.
    checked = {}
    for r in rows:
        if r["test"] in ("soak", "faults"):
            try:
                with open(r.get("json", "")) as f:
                    checked[r["test"]] = json.load(f)
            except (OSError, ValueError):
                checked[r["test"]] = {"passed": False, "error": "no results (exit " + r.get("exit", "?") + ")"}
    if checked:
        print()
        for t, d in checked.items():
            line = f"{t}: {'PASS' if d.get('passed') else 'FAIL'}"
            if t == "soak" and "rss_kb" in d:
                line += (f" ({d.get('duration_s', 0):.0f} s, {d.get('exchanges_via_proxy')} exchanges, "
                         f"{d.get('failure_count')} failed, trace {d.get('trace_records')} records, "
                         f"RSS growth {d['rss_kb'].get('growth_percent')} %)")
            if t == "faults" and "steps" in d:
                line += " (" + ", ".join(
                    f"{s}: {'ok' if all(c['passed'] for c in v['checks']) else 'FAIL'}"
                    + (f" {v['figures']['recovery_ms']} ms" if "recovery_ms" in v["figures"] else "")
                    for s, v in d["steps"].items() if s not in ("setup", "end")) + ")"
            print(line)
    if notes:
        print()
        print("Notes:")
        for n in notes:
            print("  - " + n)

    doc = {"meta": meta, "notes": notes,
           "throughput": {"per_repetition": per_rep, "summary": rps, "ratios": ratios},
           "held": {"runs": held, "ratios": held_ratios},
           "streaming": {"summary": streamed, "ratios": stream_ratios}}
    doc.update(checked)
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=False)
        f.write("\n")
    print()
    print(f"JSON: {out_path}")


if __name__ == "__main__":
    main()
