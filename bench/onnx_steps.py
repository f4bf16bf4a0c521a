"""Where the ONNX int8 speed comes from: each step of the export and of the Detector's scheduling, timed in turn on the
same tweets, against transformers' batched `pipeline`.

The steps, each on top of the one before:
  plain      the dynamo exporter's graph, int8 per channel, one batch at a time on all cores (the export until 2026-12-01)
  fused      traced with eager attention and fused by ONNX Runtime's transformer optimizer (Attention, BiasGelu, ...)
  first      ... with the last layer computed for the first token only (`first_token_last_layer`)
  parallel   ... with batches run side by side, one thread each (the `Detector`'s default)

Not a test: figures depend on the machine and its load, which is printed.

    python bench/onnx_steps.py --run RUN [--data DIR] [--n N] [--repeat R] [--json PATH]
"""
from __future__ import annotations
import argparse, json, os, shutil, sys, tempfile, time, warnings
from pathlib import Path

import numpy as np
import torch
from transformers import pipeline
from transformers.utils import logging as hf_logging

from deepfake_detect.data import load_tweepfake
from deepfake_detect.export import _export_graph, _load_for_export, _optimize_graph, _quantize, export_onnx
from deepfake_detect.core import cpu_threads
from deepfake_detect.predict import Detector, _ort_session
from deepfake_detect.testing import shared_path


def int8_file(run: Path, d: Path, step: str) -> Path:
    "The int8 graph of `run` for `step` (plain or fused), written under `d`."
    tok, model = _load_for_export(run/"model", fuse=step == "fused")
    raw, f, q = d/f"{step}-raw.onnx", d/f"{step}.onnx", d/f"{step}-int8.onnx"
    _export_graph(model, tok, raw, "dynamo" if step == "plain" else "torchscript", 18)
    if step == "fused": _optimize_graph(raw, f, model.config)
    else: shutil.copy(raw, f)
    _quantize(f, q, fused=step == "fused")
    return q


def gemm_ceiling(m=480, k=384, n=1536, calls=60) -> dict:
    "GMAC/s of ONNX Runtime's int8 matrix product (MatMulInteger) of the feed-forward's shape: one thread, then side by side on every core."
    import onnxruntime as ort
    from concurrent.futures import ThreadPoolExecutor
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.integers(-127, 127, (k, n)).astype(np.int8), "W")
    g = helper.make_graph([helper.make_node("MatMulInteger", ["X", "W"], ["Y"])], "gemm",
                          [helper.make_tensor_value_info("X", TensorProto.UINT8, [m, k])],
                          [helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])], [w])
    so = ort.SessionOptions(); so.intra_op_num_threads = 1
    sess = ort.InferenceSession(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    x = rng.integers(0, 255, (m, k)).astype(np.uint8)
    def work(c):
        for _ in range(c): sess.run(None, {"X": x})
    work(5); cores = cpu_threads()
    t = time.perf_counter(); work(calls); one = m * k * n * calls / (time.perf_counter() - t) / 1e9
    with ThreadPoolExecutor(cores) as ex:
        t = time.perf_counter(); list(ex.map(work, [calls] * cores)); every = m * k * n * calls * cores / (time.perf_counter() - t) / 1e9
    return dict(one_thread=one, all_cores=every)


def macs_per_token(config, first_token:bool) -> float:
    "Multiply-adds of the encoder's matrix products per token (attention scores aside)."
    h, f, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    full = 4 * h * h + 2 * h * f
    return (layers - 1) * full + (2 * h * h if first_token else full)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="a transformers run directory (BERT family)")
    ap.add_argument("--data", default=None, help="folder with validation.csv (default: shared/data/tweepfake)")
    ap.add_argument("--n", type=int, default=1024, help="the first N validation tweets (default: 1024)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds over every step; the best of each is kept")
    ap.add_argument("--json", default=None, help="write the figures (tweets/s) to this JSON file")
    a = ap.parse_args(argv)
    data = Path(a.data) if a.data else shared_path("data", "tweepfake")
    if data is None: sys.exit("no data: pass --data DIR (a folder with validation.csv)")
    va = load_tweepfake(data, splits=["validation"])["validation"]
    texts, labels = list(va["text"])[:a.n], np.array([int(l in (1, "bot")) for l in va["label"][:a.n]])
    hf_logging.disable_progress_bar(); warnings.simplefilter("ignore")
    tmp = Path(tempfile.mkdtemp()); run = Path(shutil.copytree(a.run, tmp/"run", ignore=shutil.ignore_patterns("onnx", "checkpoints")))
    export_onnx(run, quantize="int8")                       # the package's export: fused, first token (the last two steps)
    files = {"plain": int8_file(run, tmp, "plain"), "fused": int8_file(run, tmp, "fused"), "first": run/"onnx"/"model-int8.onnx"}
    n_cores = cpu_threads()
    ways = {}
    for step, f in files.items():       # one batch at a time, spread over the cores: how the Detector ran until now
        det = Detector.from_pretrained(run, backend="onnx-int8", threads=1)
        det.model = _ort_session(f, run, threads=n_cores)
        ways[step] = det
    ways["parallel"] = Detector.from_pretrained(run, backend="onnx-int8")   # batches side by side, one thread each
    tdet = Detector.from_pretrained(run, backend="torch")
    pipe = pipeline("text-classification", model=tdet.model, tokenizer=tdet.tokenizer, device="cpu")
    kw = dict(top_k=None, truncation=True, max_length=tdet.max_length, batch_size=64)
    fns = {k: (lambda d=d: d.predict_proba(texts, normalise=False)) for k, d in ways.items()}
    fns["pipeline_batched"] = lambda: pipe(texts, **kw)
    for fn in fns.values(): fn()                                                   # warm-up
    load = os.getloadavg()
    print(f"{len(texts)} validation tweets, batch 16 (pipeline 64), {n_cores} cores; torch {torch.__version__}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (shared CPU: figures vary)")
    best, outs = {k: float("inf") for k in fns}, {}
    for r in range(a.repeat):            # rounds over every step: a slow spell of a shared CPU hits all of them alike
        for k, fn in fns.items():
            t = time.perf_counter(); outs[k] = fn(); best[k] = min(best[k], time.perf_counter() - t)
        print(f"  round {r + 1}: " + ", ".join(f"{k} {len(texts) / best[k]:.1f}" for k in fns) + " tweets/s (best so far)", flush=True)
    res = {k: len(texts) / best[k] for k in fns}
    base = res["pipeline_batched"]
    gemm = gemm_ceiling()
    tokens = float(np.mean([len(x) for x in ways["parallel"]._tokenize(texts)]))
    work = res["parallel"] * tokens * macs_per_token(tdet.model.config, True) / 1e9
    print(f"\nint8 matrix product of the feed-forward's shape: {gemm['one_thread']:.0f} GMAC/s on one thread, "
          f"{gemm['all_cores']:.0f} side by side on {n_cores}; the int8 detector does {work:.0f} GMAC/s "
          f"({tokens:.1f} tokens a tweet): {work / gemm['all_cores']:.0%} of that")
    print(f"\n{'step':<18} {'tweets/s':>9} {'x batched pipeline':>19} {'x the step before':>18} {'accuracy':>9}")
    prev = None
    for k in ("pipeline_batched", "plain", "fused", "first", "parallel"):
        acc = f"{((outs[k] >= 0.5) == labels).mean():9.4f}" if k != "pipeline_batched" else f"{'':>9}"
        step = f"{res[k] / res[prev]:17.2f}x" if prev else f"{'':>18}"
        print(f"{k:<18} {res[k]:9.1f} {res[k] / base:18.2f}x {step} {acc}")
        prev = k if k != "pipeline_batched" else None
    if a.json:
        Path(a.json).write_text(json.dumps({**res, "n": len(texts), "loadavg": load, "cores": n_cores, "gemm_gmacs": gemm,
                                            "detector_gmacs": work, "tokens_per_tweet": tokens}, indent=2))
        print(f"wrote {a.json}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
