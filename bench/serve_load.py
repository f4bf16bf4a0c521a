"""Load test of `deepfake-detect serve`: N concurrent clients on 127.0.0.1 against a run (a MiniLM run on its ONNX
int8 model by default), bounded in requests and time; requests/s, p50/p99 latency, errors and served tweets/s, next to
the offline `Detector`'s tweets/s on the same tweets in the same run (the median of passes taken in turns with the
served windows, so that a change in a shared CPU's load hits both).

The server is `deepfake_detect.serve.serve` in a process of its own, as a user starts it; the clients are asyncio
tasks in this process, on hand-written keep-alive HTTP/1.1 connections (light on the shared CPU), each sending
requests of --texts tweets back to back. Not a test: figures depend
on the machine and its load, which is recorded.

    python bench/serve_load.py --run RUN [--clients 32] [--texts 8] [--seconds 30] [--max-requests 20000] [--json PATH]
"""
from __future__ import annotations
import argparse, asyncio, json, os, platform, sys, time, warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from deepfake_detect.data import load_tweepfake
from deepfake_detect.predict import Detector
from deepfake_detect.testing import free_port, server_process
from deepfake_detect.testing import shared_path


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"): return line.split(":", 1)[1].strip()
    except OSError: pass
    return platform.processor() or "?"


def offline(det, texts) -> float:
    "tweets/s of the Detector on all `texts` at once."
    t0 = time.perf_counter(); det.predict_proba(texts); return len(texts) / (time.perf_counter() - t0)


class Conn:
    """One keep-alive HTTP/1.1 connection, written by hand: a client as light as can be, so that the clients on the same
    CPU take as little of it from the server as possible (httpx costs about a millisecond of CPU per request)."""
    def __init__(self, host, port): self.host, self.port, self.r = host, port, None

    async def post(self, path: str, body: bytes) -> tuple:
        if self.r is None: self.r, self.w = await asyncio.open_connection(self.host, self.port)
        self.w.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.r.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        n = next(int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:"))
        return status, await self.r.readexactly(n)


async def load(url: str, texts: list, clients: int, per: int, seconds: float, max_requests: int) -> dict:
    host, port = url.split("//")[1].split(":"); port = int(port)
    lat, errors, sent = [], [], [0]
    end = time.perf_counter() + seconds
    async def client(k):
        c, i = Conn(host, port), k * per
        while time.perf_counter() < end and sent[0] < max_requests:   # bounded in time and in requests
            sent[0] += 1
            batch = [texts[(i + j) % len(texts)] for j in range(per)]; i += clients * per
            t0 = time.perf_counter()
            try:
                status, body = await c.post("/v1/predict", json.dumps({"texts": batch}).encode())
                ok = status == 200 and len(json.loads(body)["results"]) == per
                if not ok: errors.append(f"{status}: {body[:200]!r}")
            except Exception as e: errors.append(f"{type(e).__name__}: {e}"); ok = False; c = Conn(host, port)
            if ok: lat.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    await asyncio.gather(*[client(k) for k in range(clients)])
    wall = time.perf_counter() - t0
    import httpx
    model = httpx.get(url + "/v1/model").json()
    lat = np.array(lat) * 1000
    return dict(latencies_ms=lat, requests=len(lat) + len(errors), ok=len(lat), errors=len(errors), first_errors=errors[:3], seconds=round(wall, 2),
                requests_per_s=round(len(lat) / wall, 2), served_tweets_per_s=round(len(lat) * per / wall, 1),
                p50_ms=round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
                p99_ms=round(float(np.percentile(lat, 99)), 1) if len(lat) else None,
                model_calls=model["batching"]["calls"], mean_batch=round(model["batching"]["texts"] / max(model["batching"]["calls"], 1), 1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="a run directory (a MiniLM run with `deepfake-detect export RUN --quantize int8`)")
    ap.add_argument("--backend", default="onnx-int8", help="the Detector's backend, offline and served (default: onnx-int8)")
    ap.add_argument("--data", default=None, help="folder with validation.csv (default: shared/data/tweepfake)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent clients (default: 32)")
    ap.add_argument("--texts", type=int, default=8, help="tweets per request (default: 8)")
    ap.add_argument("--seconds", type=float, default=30, help="how long the clients send (default: 30)")
    ap.add_argument("--max-requests", type=int, default=20000, help="at most this many requests in all (default: 20000)")
    ap.add_argument("--rounds", type=int, default=3, help="offline passes and served windows, in turns (default: 3)")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads of the Detector, offline and served (default: cpu_threads())")
    ap.add_argument("--max-batch", type=int, default=256, help="the server's texts per model call (default: 256)")
    ap.add_argument("--wait-ms", type=float, default=5.0, help="the server's batching wait (default: 5 ms)")
    ap.add_argument("--json", default=None, help="write the figures to this JSON file")
    a = ap.parse_args(argv)
    if not (1 <= a.clients <= 512 and 1 <= a.texts <= 256 and 0 < a.seconds <= 600): sys.exit("--clients 1..512, --texts 1..256, --seconds up to 600")
    data = Path(a.data) if a.data else shared_path("data", "tweepfake")
    if data is None: sys.exit("no data: pass --data DIR (a folder with validation.csv)")
    warnings.simplefilter("ignore")
    if a.rounds < 1: sys.exit("--rounds must be at least 1")
    texts = list(load_tweepfake(data, splits=["validation"])["validation"]["text"])[:a.clients * a.texts * 4]
    det = Detector.from_pretrained(a.run, backend=a.backend, threads=a.threads)
    det.predict_proba(texts[:64])                                    # warm up
    port = free_port()
    code = ("from deepfake_detect.serve import serve; "
            f"serve({str(a.run)!r}, port={{port}}, backend={a.backend!r}, threads={a.threads!r}, max_batch={a.max_batch}, batch_wait_ms={a.wait_ms})")
    passes, windows = [], []
    with server_process(code, port) as proc:
        url = f"http://127.0.0.1:{port}"
        asyncio.run(load(url, texts, min(a.clients, 4), a.texts, 3, 200))     # warm up the server
        for r in range(a.rounds):      # offline and served in turns, so that a change in the shared CPU's load hits both
            passes.append(offline(det, texts))
            windows.append(asyncio.run(load(url, texts, a.clients, a.texts, a.seconds / a.rounds, a.max_requests // a.rounds)))
        passes.append(offline(det, texts))
    ok, wall = sum(w["ok"] for w in windows), sum(w["seconds"] for w in windows)
    lat = np.concatenate([w.pop("latencies_ms") for w in windows])
    off = float(np.median(passes))
    res = dict(requests=sum(w["requests"] for w in windows), ok=ok, errors=sum(w["errors"] for w in windows),
               first_errors=[e for w in windows for e in w["first_errors"]][:3], seconds=round(wall, 2),
               requests_per_s=round(ok / wall, 2), served_tweets_per_s=round(ok * a.texts / wall, 1),
               p50_ms=round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
               p99_ms=round(float(np.percentile(lat, 99)), 1) if len(lat) else None,
               model_calls=windows[-1]["model_calls"], mean_batch=windows[-1]["mean_batch"],
               offline_tweets_per_s=round(off, 1), served_over_offline=round(ok * a.texts / wall / off, 3),
               rounds=[dict(offline=round(p, 1), served=w["served_tweets_per_s"]) for p, w in zip(passes, windows)] + [dict(offline=round(passes[-1], 1))])
    out = dict(results=res,
               settings=dict(run=Path(a.run).name, backend=det.backend, rounds=a.rounds, clients=a.clients, texts_per_request=a.texts, seconds=a.seconds,
                             max_requests=a.max_requests, threads=det.threads, batch_size=det.batch_size, max_batch=a.max_batch,
                             wait_ms=a.wait_ms, offline_texts=len(texts)),
               goals=dict(errors=res["errors"] == 0, served_over_offline_at_least_0_8=res["served_over_offline"] >= 0.8),
               machine=f"{cpu_name()}, {os.cpu_count()} cores, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} after the run",
               created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
               command="python bench/serve_load.py " + " ".join(f"runs/{Path(x).name}" if x == a.run else x     # no machine paths
                                                                 for x in (argv if argv is not None else sys.argv[1:])))
    print(json.dumps(out, indent=1))
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
