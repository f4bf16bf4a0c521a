"""OpenELM training and inference throughput on tweet-like batches (random weights, random token ids).

For the 270M and 450M shapes (or `tiny`, for a smoke test) this measures, in one run:
  * a training step of the sequence classifier (forward, loss, backward, AdamW step; `--task lm` trains the
    language model instead), and
  * inference (forward to the logits, no gradients),
as tweets/s, real (non-pad) tokens/s, padded tokens/s and peak memory, on batches whose lengths are uniform in
16..64 tokens (`--min-len/--max-len`). Model FLOPs utilisation (MFU) compares the model FLOPs of the real tokens
with a matmul peak measured in the same run (bf16 on CUDA, the compute dtype on CPU).

Batching ("what moved the figures"):
  * `--grouping length` (default): tweets are drawn in a pool, sorted by length and cut into batches, so each
    batch is padded only to its own longest tweet (rounded up to `--pad-multiple`); the batches are then
    processed in random order. `--grouping none` pads random batches to their longest tweet;
    `--pad-to 64` pads every batch to 64 tokens (the workload of the hub-code measurements).
  * `is_causal` SDPA: batches without padding are passed with `attention_mask=None`, so no mask tensor is built;
    padded ones get a boolean mask built on the device (no host sync).
  * modes, measured side by side in one run (`--modes`, default all three): `eager` (the matmul + softmax
    attention), `sdpa` (PyTorch's scaled_dot_product_attention, the default) and `compile` (sdpa under
    `torch.compile`, backend `--compile-backend`: inductor by default; `aot_eager` traces the same graph without
    inductor's code generation, which takes minutes on a small CPU). Length buckets keep the number of shapes small.
  * `--dtype bf16` (the default on CUDA): bf16 autocast with float32 master weights for training (fused AdamW
    on CUDA), bf16 weights for inference.

Not a test: the figures depend on the machine and its load (the CPU load average is printed before and after).
On CUDA the summary gives each figure's ratio to Apple's hub code on transformers 4.57 (`HUB_CODE`). Examples:

    python bench/openelm_speed.py --quick                      # tiny and 270M on CPU (450M too on CUDA), small batches
    python bench/openelm_speed.py --quick --compile-backend aot_eager
    python bench/openelm_speed.py --device cuda --sizes 270M 450M --batch-size 128 --infer-batch-size 1024
"""
from __future__ import annotations
import argparse, json, math, os, platform, resource, time
from pathlib import Path

import torch

from deepfake_detect.core import atomic_write, get_device, library_versions
from deepfake_detect.openelm import (OpenELMForCausalLM, OpenELMForSequenceClassification, openelm_size_config,
                                     tiny_openelm_config)


def make_config(size: str, task: str):
    if size == "tiny":
        return tiny_openelm_config(vocab_size=32000, num_labels=2, num_transformer_layers=4, model_dim=256, head_dim=32)
    return openelm_size_config(size, num_labels=2)


def model_flops_per_token(cfg, seq_len: float, task: str) -> float:
    "Forward FLOPs of one token at context length `seq_len` (matmuls only, 2 per multiply-add)."
    D, hd = cfg.model_dim, cfg.head_dim
    f = 0.0
    for nq, nkv, inter in zip(cfg.num_query_heads, cfg.num_kv_heads, cfg.intermediate_sizes):
        f += 2 * D * (nq + 2 * nkv) * hd          # qkv_proj
        f += 2 * nq * hd * D                       # out_proj
        f += 2 * D * 2 * inter + 2 * inter * D     # proj_1 (gate|up), proj_2
        f += 2 * 2 * nq * hd * seq_len             # QK^T and AV (full square, as usual for MFU)
    if task == "lm": f += 2 * D * cfg.vocab_size   # tied output head
    return f


def batches(n_batches: int, bs: int, lo: int, hi: int, grouping: str, pad_to: int | None, multiple: int,
            vocab: int, gen: torch.Generator):
    "Tweet-like batches: (input_ids, attention_mask or None, labels, n_real_tokens)."
    lens = torch.randint(lo, hi + 1, (n_batches * bs,), generator=gen)
    if grouping == "length":
        lens = lens.sort().values
        order = torch.randperm(n_batches, generator=gen)
        groups = [lens[i * bs:(i + 1) * bs] for i in order.tolist()]
    else:
        groups = [lens[i * bs:(i + 1) * bs] for i in range(n_batches)]
    out = []
    for g in groups:
        S = pad_to or int(math.ceil(int(g.max()) / multiple) * multiple)
        S = max(S, int(g.max()))
        ids = torch.randint(3, vocab, (bs, S), generator=gen)
        ids[:, 0] = 1
        mask = (torch.arange(S)[None] < g[:, None]).long()
        ids = ids * mask                                   # pad id 0, on the right
        labels = torch.randint(0, 2, (bs,), generator=gen)
        out.append((ids, mask if bool((mask == 0).any()) else None, labels, int(g.sum())))
    return out


def matmul_peak(device: str, dtype: torch.dtype, n: int, reps: int) -> float:
    "Measured matmul throughput in FLOP/s (best of `reps`)."
    a = torch.randn(n, n, device=device, dtype=dtype); b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(2): a @ b
    sync(device)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter(); a @ b; sync(device); best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best


def sync(device: str):
    if device.startswith("cuda"): torch.cuda.synchronize()


def peak_mem_gib(device: str) -> float:
    if device.startswith("cuda"): return torch.cuda.max_memory_allocated() / 2 ** 30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20   # process peak RSS (KiB on Linux)


def run_phase(model, data, device, train: bool, opt=None, autocast_dtype=None, task="cls", warmup=1):
    "Run the batches (the first `warmup` untimed); return seconds, tweets, real tokens, padded tokens, warm-up seconds."
    dev_type = device.split(":")[0]
    ctx = lambda: torch.autocast(dev_type, dtype=autocast_dtype or torch.bfloat16, enabled=autocast_dtype is not None)
    t_start = time.perf_counter(); t0 = None; tweets = real = padded = 0
    for i, (ids, mask, labels, n_real) in enumerate(data):
        if i == warmup:
            sync(device); t0 = time.perf_counter()
        ids = ids.to(device, non_blocking=True); labels = labels.to(device, non_blocking=True)
        mask = mask.to(device, non_blocking=True) if mask is not None else None
        if task == "lm": labels = ids.masked_fill(ids == 0, -100) if mask is not None else ids
        if train:
            with ctx():
                loss = model(input_ids=ids, attention_mask=mask, labels=labels, use_cache=False).loss
            loss.backward()
            opt.step(); opt.zero_grad(set_to_none=True)
        else:
            with torch.inference_mode(), ctx():
                model(input_ids=ids, attention_mask=mask, use_cache=False)
        if i >= warmup:
            tweets += ids.shape[0]; real += n_real; padded += ids.numel()
    sync(device)
    return time.perf_counter() - t0, tweets, real, padded, t0 - t_start


def build(cls, cfg, device, mode):
    "A fresh model (seed 0) with the attention implementation of `mode` (`compile` uses sdpa)."
    torch.manual_seed(0)
    with torch.device(device): model = cls(cfg)              # float32 weights, built in place
    model.set_attn_implementation("eager" if mode == "eager" else "sdpa")
    return model


def bench_size(size, args, device, peak, record):
    "Every phase of every mode for one size; `record(size, mode, phase, result)` is called after each."
    cfg = make_config(size, args.task)
    cls = OpenELMForSequenceClassification if args.task == "cls" else OpenELMForCausalLM
    on_cuda = device.startswith("cuda")
    bf16 = args.dtype == "bf16"
    for mode in args.modes:
        gen = torch.Generator().manual_seed(0)                    # the same batches for every mode
        for phase in args.phases:
            train = phase == "train"
            bs = args.batch_size if train else args.infer_batch_size
            data = batches(args.warmup + args.steps, bs, args.min_len, args.max_len, args.grouping, args.pad_to,
                           args.pad_multiple, cfg.vocab_size, gen)
            model = build(cls, cfg, device, mode)
            if train:
                autocast = torch.bfloat16 if bf16 else None       # autocast over float32 master weights
                model.train()
                opt = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=on_cuda or None)
            else:
                model = model.to(dtype=torch.bfloat16 if bf16 else torch.float32).eval()
                autocast, opt = None, None
            fwd = torch.compile(model, backend=args.compile_backend) if mode == "compile" else model
            warm, timed = data[:args.warmup], data[args.warmup:]
            t_build = time.perf_counter()
            if mode == "compile":   # compile every batch shape before the clock starts
                shapes = {}
                for b in timed: shapes.setdefault((tuple(b[0].shape), b[1] is None), b)
                warm = warm + list(shapes.values())
            if on_cuda: torch.cuda.reset_peak_memory_stats()
            secs, tweets, real, padded, warm_secs = run_phase(fwd, warm + timed, device, train, opt, autocast,
                                                              args.task, len(warm))
            mean_len = real / tweets
            flops = model_flops_per_token(cfg, mean_len, args.task) * real * (3 if train else 1)
            r = dict(size=size, mode=mode, phase=phase, batch_size=bs, steps=args.steps, tweets_per_s=tweets / secs,
                     tokens_per_s=real / secs, padded_tokens_per_s=padded / secs, pad_fraction=1 - real / padded,
                     peak_mem_gib=peak_mem_gib(device), model_tflops_per_s=flops / secs / 1e12,
                     mfu=flops / secs / peak if peak else None, seconds=secs, warmup_seconds=warm_secs,
                     params=sum(p.numel() for p in model.parameters()))
            print(f"{size:>5} {mode:<7} {phase:<6} bs {bs:<5} {r['tweets_per_s']:9.1f} tweets/s "
                  f"{r['tokens_per_s']:10.0f} tok/s (pad {r['pad_fraction']:.0%}) peak {r['peak_mem_gib']:6.2f} GiB  "
                  f"{r['model_tflops_per_s']:7.3f} TFLOP/s  MFU {r['mfu']:.1%}  warm-up {warm_secs:.0f} s", flush=True)
            record(size, mode, phase, r)
            del model, fwd, opt
            if on_cuda: torch.cuda.empty_cache()


# Targets for the native model on an H100/H200 (issue 3), and Apple's hub code on transformers 4.57 (H200, bf16,
# batch 128 padded to 64 for training, batch 1024 for inference), in tweets/s.
TARGETS = {("270M", "train"): 3300, ("270M", "infer"): 11000, ("450M", "train"): 2250}
HUB_CODE = {("270M", "train"): 1646, ("270M", "infer"): 5678, ("450M", "train"): 1124, ("450M", "infer"): 3896}
MODES = {"eager": "matmul + softmax attention", "sdpa": "scaled_dot_product_attention",
         "compile": "sdpa under torch.compile"}


def summary(results, modes, on_cuda):
    "The tweets/s of every mode side by side; on CUDA also each one's ratio to the hub code, and the target."
    head = "size  phase " + "".join(f"{m:>10}" for m in modes)
    if on_cuda: head += "  hub code" + "".join(f"{m + '/hub':>13}" for m in modes) + "  target"
    lines = [head]
    for size, by_mode in results.items():
        for phase in ("train", "infer"):
            row = {m: by_mode.get(m, {}).get(phase) for m in modes}
            if not any(row.values()): continue
            line = f"{size:>5} {phase:<6}" + "".join(f"{r['tweets_per_s']:10.1f}" if r else f"{'-':>10}" for r in row.values())
            if on_cuda:
                hub, tgt = HUB_CODE.get((size, phase)), TARGETS.get((size, phase))
                line += f"{hub or '-':>10}" + "".join(f"{r['tweets_per_s'] / hub:12.2f}x" if r and hub else f"{'-':>13}"
                                                     for r in row.values())
                line += f"{tgt or '-':>8}"
            lines.append(line)
    text = "\n".join(lines)
    print("\ntweets/s\n" + text)
    return text


def load_average() -> str:
    "The 1, 5 and 15 minute load averages (the CPU may be shared with other jobs)."
    try: return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError: return "n/a"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", nargs="+", choices=["tiny", "270M", "450M"], default=None,
                   help="model shapes (default: tiny 270M on CPU, tiny 270M 450M on CUDA)")
    p.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES),
                   help="attention implementations to compare side by side (default: all)")
    p.add_argument("--compile", action="store_true", help="only the compiled mode (same as --modes compile)")
    p.add_argument("--compile-backend", default="inductor",
                   help="torch.compile backend of the compile mode: inductor (default) or aot_eager (no code generation)")
    p.add_argument("--quick", action="store_true",
                   help="small batches and few steps (CPU: batch 2 / 8, 1 step; CUDA: 10 steps) for a first look")
    p.add_argument("--device", default=None, help="cpu, cuda (default: the best available)")
    p.add_argument("--dtype", choices=["bf16", "fp32"], default=None,
                   help="bf16: autocast training (fp32 weights) and bf16 inference on CUDA; default bf16 on CUDA, fp32 on CPU")
    p.add_argument("--task", choices=["cls", "lm"], default="cls", help="sequence classifier or language model")
    p.add_argument("--phases", nargs="+", choices=["train", "infer"], default=["train", "infer"])
    p.add_argument("--batch-size", type=int, default=None, help="training batch (default 128 on CUDA, 8 on CPU, 2 with --quick)")
    p.add_argument("--infer-batch-size", type=int, default=None, help="inference batch (default 1024 on CUDA, 32 on CPU, 8 with --quick)")
    p.add_argument("--steps", type=int, default=None, help="timed batches per phase (default 30 on CUDA, 2 on CPU; --quick: 10, 1)")
    p.add_argument("--warmup", type=int, default=None, help="untimed batches first (default 10 with compile on CUDA, 3 on CUDA, 1 on CPU)")
    p.add_argument("--min-len", type=int, default=16); p.add_argument("--max-len", type=int, default=64)
    p.add_argument("--grouping", choices=["length", "none"], default="length")
    p.add_argument("--pad-to", type=int, default=None, help="pad every batch to this length (e.g. 64)")
    p.add_argument("--pad-multiple", type=int, default=8, help="round each batch's length up to a multiple of this")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument("--out", type=Path, default=None, help="also write the results as JSON here (rewritten after each figure)")
    args = p.parse_args(argv)

    device = get_device(args.device)
    on_cuda = device.startswith("cuda")
    if args.compile: args.modes = ["compile"]
    if args.threads: torch.set_num_threads(args.threads)
    args.sizes = args.sizes or (["tiny", "270M", "450M"] if on_cuda else ["tiny", "270M"])
    args.dtype = args.dtype or ("bf16" if on_cuda else "fp32")
    q = args.quick
    args.batch_size = args.batch_size or (128 if on_cuda else 2 if q else 8)
    args.infer_batch_size = args.infer_batch_size or (1024 if on_cuda else 8 if q else 32)
    args.steps = args.steps or ((10 if q else 30) if on_cuda else (1 if q else 2))
    if args.warmup is None: args.warmup = (10 if "compile" in args.modes and not q else 3) if on_cuda else 1
    if on_cuda:
        torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
    peak_dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    peak = matmul_peak(device, peak_dtype, 8192 if on_cuda else 1024, 10 if on_cuda else 3)
    card = torch.cuda.get_device_name() if on_cuda else platform.processor() or platform.machine()
    load0 = load_average()
    print(f"device {device} ({card}), {torch.get_num_threads()} CPU threads, dtype {args.dtype}, task {args.task}, "
          f"modes {' '.join(args.modes)} (compile backend {args.compile_backend}), grouping {args.grouping}, "
          f"pad_to {args.pad_to}, batch {args.batch_size} train / {args.infer_batch_size} infer, {args.steps} step(s)")
    print(f"load average (1/5/15 min) at start: {load0}")
    print(f"measured {str(peak_dtype).split('.')[-1]} matmul peak: {peak / 1e12:.2f} TFLOP/s", flush=True)
    out = dict(device=device, card=card, dtype=args.dtype, task=args.task, modes=args.modes,
               compile_backend=args.compile_backend, grouping=args.grouping, pad_to=args.pad_to, quick=q,
               batch_size=args.batch_size, infer_batch_size=args.infer_batch_size, steps=args.steps,
               matmul_peak_tflops=peak / 1e12, load_average_start=load0,
               started=time.strftime("%Y-%m-%d %H:%M:%S %z"), versions=library_versions(), results={})

    def record(size, mode, phase, r):
        out["results"].setdefault(size, {}).setdefault(mode, {})[phase] = r
        if args.out:   # after every figure, so a run cut short keeps what it measured
            with atomic_write(args.out) as f: json.dump(out, f, indent=1)

    for size in args.sizes: bench_size(size, args, device, peak, record)
    out["summary"] = summary(out["results"], args.modes, on_cuda)
    out["load_average_end"] = load_average()
    print(f"load average (1/5/15 min) at end: {out['load_average_end']}")
    if args.out:
        with atomic_write(args.out) as f: json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
