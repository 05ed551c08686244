#!/usr/bin/env python3
"""Misbehaving clients for tools/bench/faults.sh, one JSON summary line on stdout each.

  abuse_client.py slowloris HOST:PORT -n N --every S --for T [--tls]
      N connections (TLS when --tls) that start a request and then send one header byte every S
      seconds for up to T seconds. Reports how many the server closed, and after how long
      (counted from the first request byte).
  abuse_client.py flood HOST:PORT -n N --for T [--tls]
      N connections opened as fast as they go and held idle for T seconds (TLS: the handshake
      is completed, then nothing is sent). Reports how many connected, were refused, reset or
      closed by the server, and how many handshakes did not finish.

Nothing here synchronises by sleeping: the waits are the pacing of the attack itself.
"""
import argparse
import asyncio
import json
import ssl
import statistics
import sys
import time


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def open_conn(host, port, use_tls, timeout):
    return await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=tls_context() if use_tls else None,
                                server_hostname="localhost" if use_tls else None),
        timeout)


async def closed_by_peer(reader):
    """True once the server closed or reset the connection (reads and drops anything sent)."""
    try:
        while True:
            data = await reader.read(4096)
            if not data:
                return True
    except (ConnectionError, ssl.SSLError, OSError):
        return True


async def slowloris_one(host, port, use_tls, every, duration, result):
    try:
        reader, writer = await open_conn(host, port, use_tls, 20)
    except Exception as e:  # noqa: BLE001: every failure to open is counted, by kind
        result["open_failed"].append(type(e).__name__)
        return
    result["opened"] += 1
    head = (b"POST /Microsoft-Server-ActiveSync?Cmd=Sync&User=loris&DeviceId=SLOW&DeviceType=x "
            b"HTTP/1.1\r\nHost: localhost\r\n")
    started = time.monotonic()
    watcher = asyncio.ensure_future(closed_by_peer(reader))
    try:
        writer.write(head)
        await writer.drain()
        drip = b"X-Slow: " + b"a" * 4096
        i = 0
        while time.monotonic() - started < duration:
            done, _ = await asyncio.wait({watcher}, timeout=every)
            if done:
                result["closed_after_s"].append(round(time.monotonic() - started, 2))
                return
            writer.write(drip[i % len(drip):i % len(drip) + 1])
            i += 1
            await writer.drain()
        result["still_open"] += 1
    except (ConnectionError, ssl.SSLError, OSError):
        result["closed_after_s"].append(round(time.monotonic() - started, 2))
    finally:
        watcher.cancel()
        writer.close()


async def flood_one(host, port, use_tls, duration, result):
    try:
        reader, writer = await open_conn(host, port, use_tls, duration)
    except asyncio.TimeoutError:
        result["not_connected_in_time"] += 1
        return
    except ConnectionRefusedError:
        result["refused"] += 1
        return
    except (ConnectionError, ssl.SSLError, OSError) as e:
        result["open_failed"].append(type(e).__name__)
        return
    result["connected"] += 1
    try:
        done, _ = await asyncio.wait({asyncio.ensure_future(closed_by_peer(reader))},
                                     timeout=duration)
        if done:
            result["closed_by_server"] += 1
        else:
            result["held"] += 1
    finally:
        writer.close()


def summarize(result):
    failed = result.pop("open_failed", [])
    result["open_failed"] = len(failed)
    if failed:
        kinds = {}
        for k in failed:
            kinds[k] = kinds.get(k, 0) + 1
        result["open_failed_kinds"] = kinds
    closed = result.pop("closed_after_s", None)
    if closed is not None:
        result["closed_by_server"] = len(closed)
        if closed:
            result["closed_after_s_min"] = min(closed)
            result["closed_after_s_median"] = statistics.median(closed)
            result["closed_after_s_max"] = max(closed)
    return result


async def main_async(a):
    host, port = a.target.rsplit(":", 1)
    port = int(port)
    t0 = time.monotonic()
    if a.cmd == "slowloris":
        result = {"test": "slowloris", "n": a.n, "opened": 0, "still_open": 0,
                  "open_failed": [], "closed_after_s": []}
        await asyncio.gather(*(slowloris_one(host, port, a.tls, a.every, a.duration, result)
                               for _ in range(a.n)))
    else:
        result = {"test": "flood", "n": a.n, "connected": 0, "refused": 0, "held": 0,
                  "closed_by_server": 0, "not_connected_in_time": 0, "open_failed": []}
        await asyncio.gather(*(flood_one(host, port, a.tls, a.duration, result)
                               for _ in range(a.n)))
    result["seconds"] = round(time.monotonic() - t0, 2)
    print(json.dumps(summarize(result)), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("cmd", choices=["slowloris", "flood"])
    p.add_argument("target", help="HOST:PORT")
    p.add_argument("-n", type=int, default=100, help="connections")
    p.add_argument("--every", type=float, default=5.0, help="slowloris: seconds between bytes")
    p.add_argument("--for", dest="duration", type=float, default=30.0,
                   help="seconds to keep at it")
    p.add_argument("--tls", action="store_true", help="TLS connections (no certificate check)")
    a = p.parse_args()
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass
    asyncio.run(main_async(a))


if __name__ == "__main__":
    sys.exit(main())
