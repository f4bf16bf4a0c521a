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
  * `--compile`: `torch.compile` the model (length buckets keep the number of shapes small).
  * `--dtype bf16` (the default on CUDA): bf16 autocast with float32 master weights for training (fused AdamW
    on CUDA), bf16 weights for inference.

Not a test: the figures depend on the machine and its load. Examples:

    python bench/openelm_speed.py --device cpu --sizes 270M 450M --steps 2 --batch-size 8 --infer-batch-size 32
    python bench/openelm_speed.py --device cuda --sizes 270M 450M --batch-size 128 --infer-batch-size 1024 --compile
"""
from __future__ import annotations
import argparse, json, math, platform, resource, time
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
    "Run the batches (the first `warmup` untimed); return seconds, tweets, real tokens, padded tokens."
    dev_type = device.split(":")[0]
    ctx = lambda: torch.autocast(dev_type, dtype=autocast_dtype or torch.bfloat16, enabled=autocast_dtype is not None)
    t0 = None; tweets = real = padded = 0
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
    return time.perf_counter() - t0, tweets, real, padded


def bench_size(size, args, device, peak):
    cfg = make_config(size, args.task)
    cls = OpenELMForSequenceClassification if args.task == "cls" else OpenELMForCausalLM
    gen = torch.Generator().manual_seed(0)
    on_cuda = device.startswith("cuda")
    bf16 = args.dtype == "bf16"
    results = {}
    for phase in args.phases:
        torch.manual_seed(0)
        train = phase == "train"
        bs = args.batch_size if train else args.infer_batch_size
        n = args.warmup + args.steps
        data = batches(n, bs, args.min_len, args.max_len, args.grouping, args.pad_to, args.pad_multiple,
                       cfg.vocab_size, gen)
        if train:
            with torch.device(device): model = cls(cfg)              # float32 master weights, built in place
            autocast = torch.bfloat16 if bf16 else None
            model.train()
            opt = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=on_cuda or None)
        else:
            with torch.device(device): model = cls(cfg)
            model = model.to(dtype=torch.bfloat16 if bf16 else torch.float32).eval()
            autocast, opt = None, None
        fwd = torch.compile(model) if args.compile else model
        warm, timed = data[:args.warmup], data[args.warmup:]
        if args.compile:   # compile every batch shape before the clock starts
            shapes = {}
            for b in timed: shapes.setdefault((tuple(b[0].shape), b[1] is None), b)
            warm = warm + list(shapes.values())
        if on_cuda: torch.cuda.reset_peak_memory_stats()
        secs, tweets, real, padded = run_phase(fwd, warm + timed, device, train, opt, autocast, args.task, len(warm))
        mean_len = real / tweets
        flops = model_flops_per_token(cfg, mean_len, args.task) * real * (3 if train else 1)
        r = dict(size=size, phase=phase, batch_size=bs, steps=args.steps, tweets_per_s=tweets / secs,
                 tokens_per_s=real / secs, padded_tokens_per_s=padded / secs, pad_fraction=1 - real / padded,
                 peak_mem_gib=peak_mem_gib(device), model_tflops_per_s=flops / secs / 1e12,
                 mfu=flops / secs / peak if peak else None, seconds=secs,
                 params=sum(p.numel() for p in model.parameters()))
        results[phase] = r
        print(f"{size:>5} {phase:<6} bs {bs:<5} {r['tweets_per_s']:9.1f} tweets/s {r['tokens_per_s']:10.0f} tok/s "
              f"(pad {r['pad_fraction']:.0%}) peak {r['peak_mem_gib']:6.2f} GiB  "
              f"{r['model_tflops_per_s']:7.3f} TFLOP/s  MFU {r['mfu']:.1%}", flush=True)
        del model, fwd, opt
        if on_cuda: torch.cuda.empty_cache()
    return results


# Targets for the native model on an H100/H200 (issue 3), and Apple's hub code on transformers 4.57 (H200, bf16,
# batch 128 padded to 64 for training, batch 1024 for inference), in tweets/s.
TARGETS = {("270M", "train"): 3300, ("270M", "infer"): 11000, ("450M", "train"): 2250}
HUB_CODE = {("270M", "train"): 1646, ("270M", "infer"): 5678, ("450M", "train"): 1124, ("450M", "infer"): 3896}


def summary(results):
    print("\nsize  phase  tweets/s   hub code  target")
    for size, phases in results.items():
        for phase, r in phases.items():
            hub, tgt = HUB_CODE.get((size, phase)), TARGETS.get((size, phase))
            print(f"{size:>5} {phase:<6} {r['tweets_per_s']:9.1f} {hub or '-':>9} {tgt or '-':>7}"
                  + ("" if tgt is None else ("  met" if r['tweets_per_s'] >= tgt else "  below")))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", nargs="+", default=["270M", "450M"], help="270M, 450M and/or tiny")
    p.add_argument("--device", default=None, help="cpu, cuda (default: the best available)")
    p.add_argument("--dtype", choices=["bf16", "fp32"], default=None,
                   help="bf16: autocast training (fp32 weights) and bf16 inference on CUDA; default bf16 on CUDA, fp32 on CPU")
    p.add_argument("--task", choices=["cls", "lm"], default="cls", help="sequence classifier or language model")
    p.add_argument("--phases", nargs="+", choices=["train", "infer"], default=["train", "infer"])
    p.add_argument("--batch-size", type=int, default=None, help="training batch (default 128 on CUDA, 8 on CPU)")
    p.add_argument("--infer-batch-size", type=int, default=None, help="inference batch (default 1024 on CUDA, 32 on CPU)")
    p.add_argument("--steps", type=int, default=None, help="timed batches per phase (default 30 on CUDA, 2 on CPU)")
    p.add_argument("--warmup", type=int, default=None, help="untimed batches first (default 10 with --compile on CUDA, 3 on CUDA, 1 on CPU)")
    p.add_argument("--min-len", type=int, default=16); p.add_argument("--max-len", type=int, default=64)
    p.add_argument("--grouping", choices=["length", "none"], default="length")
    p.add_argument("--pad-to", type=int, default=None, help="pad every batch to this length (e.g. 64)")
    p.add_argument("--pad-multiple", type=int, default=8, help="round each batch's length up to a multiple of this")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = p.parse_args(argv)

    device = get_device(args.device)
    on_cuda = device.startswith("cuda")
    if args.threads: torch.set_num_threads(args.threads)
    args.dtype = args.dtype or ("bf16" if on_cuda else "fp32")
    args.batch_size = args.batch_size or (128 if on_cuda else 8)
    args.infer_batch_size = args.infer_batch_size or (1024 if on_cuda else 32)
    args.steps = args.steps or (30 if on_cuda else 2)
    if args.warmup is None: args.warmup = (10 if args.compile else 3) if on_cuda else 1
    if on_cuda:
        torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
    peak_dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    peak = matmul_peak(device, peak_dtype, 8192 if on_cuda else 1024, 10 if on_cuda else 3)
    card = torch.cuda.get_device_name() if on_cuda else platform.processor() or platform.machine()
    print(f"device {device} ({card}), {torch.get_num_threads()} CPU threads, dtype {args.dtype}, task {args.task}, "
          f"grouping {args.grouping}, pad_to {args.pad_to}, compile {args.compile}")
    print(f"measured {str(peak_dtype).split('.')[-1]} matmul peak: {peak / 1e12:.2f} TFLOP/s")
    out = dict(device=device, card=card, dtype=args.dtype, task=args.task, grouping=args.grouping,
               pad_to=args.pad_to, compile=args.compile, matmul_peak_tflops=peak / 1e12,
               versions=library_versions(), results={})
    for size in args.sizes:
        out["results"][size] = bench_size(size, args, device, peak)
    if on_cuda: summary(out["results"])
    if args.out:
        with atomic_write(args.out) as f: json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
