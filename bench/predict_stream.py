"""Streaming prediction of a large file: rows/s and the peak memory of the process doing the work.

Writes a synthetic N-row file (default 1,000,000 rows; made-up word-salad tweets generated here, never real
ones), then runs `deepfake-detect predict RUN --file F --out O` in a child process (or under torchrun with
--workers N) and reports its wall time, rows/s and peak resident memory (`getrusage(RUSAGE_CHILDREN).ru_maxrss`:
the largest child waited for, i.e. the process that did the work). Without --run, a small TF-IDF run is
trained on the generated texts (meaningless labels; enough for speed and memory). Not a test: the figures
depend on the machine and its load, which is printed.

    python bench/predict_stream.py [--rows N] [--format csv|jsonl|parquet] [--run RUN] [--chunk-rows K]
                                   [--workers W] [--keep DIR] [--json PATH]
"""
from __future__ import annotations
import argparse, csv, json, os, platform, random, resource, shutil, subprocess, sys, tempfile, time
from pathlib import Path

WORDS = ("the a my our new best big small good great first last just so very really today tonight tomorrow "
         "love hate want need got make take see watch read write post share follow check try learn grow "
         "coffee pizza music game movie book cat dog friend weekend morning night city team work home school "
         "tips ways steps deals news update thread video photo link story idea plan life world day time lol omg").split()
TAGS = ["#tips", "#news", "#music", "#life", "#ai", "#food", "@someone", "@friend", "https://t.co/xyz", ""]


def synthetic_texts(n:int, seed:int=0):
    "`n` made-up tweets: 3-30 random words, sometimes a tag, a comma or a quote (CSV quoting is exercised)."
    rng = random.Random(seed)
    for i in range(n):
        words = rng.choices(WORDS, k=rng.randint(3, 30))
        if i % 11 == 0: words[len(words) // 2] += ","
        if i % 13 == 0: words[0] = f'"{words[0]}"'
        yield " ".join(words) + (" " + rng.choice(TAGS) if rng.random() < 0.5 else "")


def write_file(path:Path, n:int, fmt:str, block:int=100_000) -> Path:
    "Write `n` synthetic rows (id, text, lang) to `path` in `fmt`, a block at a time (bounded memory)."
    texts = synthetic_texts(n)
    if fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n"); w.writerow(["id", "text", "lang"])
            for i, t in enumerate(texts): w.writerow([f"s{i}", t, "en"])
    elif fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as f:
            for i, t in enumerate(texts): f.write(json.dumps({"id": f"s{i}", "text": t, "lang": "en"}) + "\n")
    else:
        import pyarrow as pa, pyarrow.parquet as pq
        schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("lang", pa.string())])
        with pq.ParquetWriter(path, schema) as w:
            for s in range(0, n, block):
                ts = [next(texts) for _ in range(min(block, n - s))]
                w.write_table(pa.table({"id": [f"s{s + i}" for i in range(len(ts))], "text": ts, "lang": ["en"] * len(ts)}, schema=schema))
    return path


def tiny_tfidf_run(dest:Path) -> Path:
    "A TF-IDF run fitted on 2,000 synthetic texts with arbitrary labels (speed and memory only)."
    from deepfake_detect.testing import make_tiny_run
    texts = list(synthetic_texts(2000, seed=1))
    return make_tiny_run(dest, kind="tfidf", texts=texts, labels=[i % 2 for i in range(len(texts))])


def count_rows(path:Path, fmt:str) -> int:
    if fmt == "parquet":
        import pyarrow.parquet as pq
        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as f: n = sum(b.count(b"\n") for b in iter(lambda: f.read(1 << 20), b""))
    return n - (fmt == "csv")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated file (default: 1,000,000)")
    ap.add_argument("--format", default="csv", choices=["csv", "jsonl", "parquet"], help="input and output format")
    ap.add_argument("--run", default=None, help="a run directory (default: a TF-IDF run trained on synthetic texts)")
    ap.add_argument("--chunk-rows", type=int, default=10_000, help="rows per chunk (default: 10,000)")
    ap.add_argument("--workers", type=int, default=1, help="run under torchrun with this many CPU workers (default: 1)")
    ap.add_argument("--keep", default=None, help="write the files into this folder and keep them (default: a temp folder, removed)")
    ap.add_argument("--json", default=None, help="write the figures to this JSON file")
    a = ap.parse_args(argv)

    tmp = Path(a.keep or tempfile.mkdtemp(prefix="predict-stream-")); tmp.mkdir(parents=True, exist_ok=True)
    try:
        src, out = tmp/f"in.{a.format}", tmp/f"out.{a.format}"
        t = time.perf_counter(); write_file(src, a.rows, a.format); gen_s = time.perf_counter() - t
        print(f"generated {a.rows:,} rows ({src.stat().st_size / 2**20:,.0f} MiB) in {gen_s:.1f} s: {src}", flush=True)
        run = Path(a.run) if a.run else tiny_tfidf_run(tmp/"tfidf-run")
        base = [sys.executable, "-m", "deepfake_detect.cli"]
        if a.workers > 1:
            base = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={a.workers}", "-m", "deepfake_detect.cli"]
        cmd = [*base, "predict", str(run), "--file", str(src), "--out", str(out), "--chunk-rows", str(a.chunk_rows)]
        print("$", " ".join(cmd), flush=True)
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.perf_counter() - t
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss    # KiB on Linux; the largest child waited for
        sys.stderr.write(p.stderr[-3000:]); print(p.stdout.strip())
        if p.returncode != 0: sys.exit(f"predict failed with status {p.returncode}")
        rows = count_rows(out, a.format)
        if rows != a.rows: sys.exit(f"the output has {rows} rows, expected {a.rows}")
        res = dict(rows=a.rows, format=a.format, chunk_rows=a.chunk_rows, workers=a.workers, run=str(run),
                   input_mib=round(src.stat().st_size / 2**20, 1), seconds=round(secs, 2), rows_per_s=round(a.rows / secs),
                   peak_rss_mib=round(peak_kib / 1024, 1),
                   load_average=list(os.getloadavg()), cpus=os.cpu_count(), machine=platform.platform(), python=platform.python_version())
        print(f"{a.rows:,} rows in {secs:.1f} s: {a.rows / secs:,.0f} rows/s (model load and start included); "
              f"peak RSS {peak_kib / 1024:,.0f} MiB; load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if a.json:
            Path(a.json).write_text(json.dumps(res, indent=2) + "\n"); print(f"wrote {a.json}")
        return res
    finally:
        if not a.keep: shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
