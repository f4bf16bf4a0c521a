"""Generation speed: tweets/minute of `generate_tweets` beside plain `model.generate`, measured in the same run.

    python bench/generate_speed.py --n 256 --data ../shared/data/tweepfake --fidelity 48 --json results/generate_speed.json   # SmolLM2-135M-Instruct GGUF
    python bench/generate_speed.py --n 32 --data ../shared/data/tweepfake --out /tmp/gen.csv

What is compared (same prompts, max_new_tokens, sampling settings and CPU threads):

- `tweets_per_minute`: `generate_tweets(n=...)` with its default engine (`--engine auto`: llama.cpp for the GGUF
  file when llama-cpp-python is installed, else transformers) and its default batch size (--batch-size: 32 answers
  decoded together with llama.cpp, 8 with transformers): tweets **kept** (cleaned, screened, de-duplicated) per
  minute of generation, model loading excluded.
- `plain_generate_tweets_per_minute`: the very prompts `generate_tweets` tried, formatted the same way
  (chat template), sent in batches of --plain-batch-size (8) through transformers' `model.generate` with the same sampling
  (do_sample, temperature, top_p, repetition_penalty, max_new_tokens), **every returned sequence
  counted as a tweet** (no cleaning, no screening, nothing dropped).
- `ratio` = tweets_per_minute / plain_generate_tweets_per_minute (transformers alone: >= 0.8; the llama.cpp engine:
  >= 5).

The CPU of the developers' machine is shared, so the two are interleaved in --rounds rounds (each round
generates n/rounds tweets with its own seed, then runs plain generate on the prompts that round tried;
the order alternates; one warm-up call first), and the 1-minute load average is recorded before and after. Ratios measured in one
run are what count; absolute figures move with the machine's load. The JSON also has the decoding steps and
milliseconds per step of each (every `model.generate` call is timed), which separate the loop's own cost
from luck in how long the sampled answers ran. With llama.cpp, `decode_ms_per_token` is the cost of one decoding
step per answer at 1, 8 and 32 answers at once, for the engine's weights and the file's own 4-bit kernels: what
batching buys on this CPU. Not a test.
"""
from __future__ import annotations
import argparse, json, os, platform, sys, time, warnings
from pathlib import Path


def plain_generate(model, tok, prompts, batch_size, sampling, chat=True):
    "Run `prompts` ((prompt, example) pairs) through `model.generate` in batches; (sequences returned, seconds)."
    import torch
    from deepfake_detect.generate import _prompt_text
    n, t0 = 0, time.perf_counter()
    for s in range(0, len(prompts), batch_size):
        enc = tok([_prompt_text(tok, p, ex, chat) for p, ex in prompts[s:s + batch_size]], return_tensors="pt",
                  padding=True, add_special_tokens=not chat)
        with torch.inference_mode():
            out = model.generate(**enc, pad_token_id=tok.pad_token_id, **sampling.generate_kwargs())
        n += out.shape[0]
    return n, time.perf_counter() - t0


def decode_costs(lm, widths=(1, 8, 32), steps=8) -> dict:
    "Milliseconds per answer of one llama.cpp decoding step with `w` answers at once (after a prompt each), for each width."
    from deepfake_detect.generate import SamplingConfig, _conversation
    p = lm.chat_tokens(_conversation("Write a tweet about cats.", None))
    out = {}
    lm.decode([p], SamplingConfig(temperature=0, max_new_tokens=2), [0])     # warm-up: the context is made on first use
    for w in widths:
        if w > lm.n_seq: continue
        t0 = time.perf_counter()
        lm.decode([p] * w, SamplingConfig(temperature=0, repetition_penalty=1, max_new_tokens=1), [0] * w, width=w)
        prefill = time.perf_counter() - t0
        t0 = time.perf_counter()
        lm.decode([p] * w, SamplingConfig(temperature=0, repetition_penalty=1, max_new_tokens=1 + steps), [0] * w, width=w)
        out[w] = round((time.perf_counter() - t0 - prefill) / (steps * w) * 1000, 2)
    return out


def fidelity(model, tok, path, texts, threads, kinds=("file", "f16", "bf16"), most=120) -> dict:
    "How closely llama.cpp's next-token scores follow transformers' float32 model (the GGUF de-quantised) on `texts`, per weights kind."
    import numpy as np, torch
    from deepfake_detect.generate import LlamaCppModel
    ids = None
    out = {}
    for kind in kinds:
        lm = LlamaCppModel(path, threads=threads, n_seq=1, n_ctx=256, weights=kind)
        if ids is None:
            ids = [x for t in texts if len(x := lm.llm.tokenize(str(t).encode(), add_bos=False)[:most]) > 1]
            with torch.inference_mode(): ref = [model(torch.tensor([x])).logits[0].float().numpy() for x in ids]
        agree = kl = n = 0
        for x, r in zip(ids, ref):
            l = lm.logits(x)
            lp = l - np.logaddexp.reduce(l, axis=1, keepdims=True); rp = r - np.logaddexp.reduce(r, axis=1, keepdims=True)
            agree += int((l.argmax(1) == r.argmax(1)).sum()); kl += float((np.exp(rp) * (rp - lp)).sum()); n += len(x)
        out[kind] = {"top1_agreement": round(agree / n, 4), "kl_nats_per_token": round(kl / n, 5)}
    return {"texts": len(ids), "tokens": sum(map(len, ids)), "reference": "transformers float32 (the GGUF de-quantised)", **out}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--generator", default=None, help="hub id, folder or .gguf (default: SmolLM2-135M-Instruct GGUF)")
    p.add_argument("--n", type=int, default=32, help="tweets to keep, in all rounds together")
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds of generate_tweets / plain generate")
    p.add_argument("--batch-size", type=int, default=None, help="generate_tweets' batch (default: its own, 32 with llama.cpp)")
    p.add_argument("--plain-batch-size", type=int, default=8, help="batch of plain transformers generate")
    p.add_argument("--weights", default="auto", choices=["auto", "file", "f16", "bf16"], help="llama.cpp weights (LlamaCppModel)")
    p.add_argument("--max-new-tokens", type=int, default=80)
    p.add_argument("--threads", type=int, default=None, help="torch threads for both (default: auto_threads())")
    p.add_argument("--data", default=None, help="TweepFake folder for topics and examples")
    p.add_argument("--out", default=None, help="also write the kept tweets to this CSV file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="write the figures to this JSON file")
    p.add_argument("--fidelity", type=int, default=0, help="also compare llama.cpp's scores with transformers' on this many validation tweets of --data")
    p.add_argument("--engine", default="auto", choices=["auto", "llama.cpp", "transformers"], help="generate_tweets' engine")
    a = p.parse_args(argv)

    import torch
    import pandas as pd
    from deepfake_detect.core import set_seed
    from deepfake_detect.generate import (resolve_generator, load_generator, generate_tweets, SamplingConfig, auto_threads,
                                          extract_topics, make_prompts, _human_texts, choose_engine, LlamaCppModel)
    from deepfake_detect.tweets import write_tweets
    load_before = os.getloadavg()
    threads = a.threads or auto_threads()
    torch.set_num_threads(threads)
    spec = resolve_generator(a.generator)
    t0 = time.perf_counter(); model, tok = load_generator(spec, device="cpu", progress=False); load_s = time.perf_counter() - t0
    # warm-up (the first generate call of a process pays one-off costs), not counted
    plain_generate(model, tok, [("Write a tweet about cats.", None)] * a.plain_batch_size, a.plain_batch_size,
                   SamplingConfig(max_new_tokens=16), bool(getattr(tok, "chat_template", None)))
    calls = []                      # (who, rows, new tokens, seconds) of every model.generate call
    _generate, who = model.generate, ["ours"]
    def counted(*args, **kw):
        t = time.perf_counter(); out = _generate(*args, **kw); dt = time.perf_counter() - t
        ids = kw.get("input_ids", args[0] if args else None)
        calls.append((who[0], out.shape[0], out.shape[1] - ids.shape[1], dt))
        return out
    model.generate = counted
    print(f"{spec.label}: loaded in {load_s:.1f} s ({sum(x.numel() for x in model.parameters())/1e6:.1f} M parameters); "
          f"{threads} torch thread(s); load average {load_before[0]:.2f}", flush=True)
    engine = choose_engine(spec, a.engine, "cpu")
    batch = a.batch_size or (32 if engine == "llama.cpp" else 8)
    lm = LlamaCppModel(spec.path, threads=threads, seed=a.seed, n_seq=batch, weights=a.weights) if engine == "llama.cpp" else None
    print(f"generate_tweets' engine: {engine}" + (f" ({lm.weights} weights), {batch} answers at once" if lm else ""), flush=True)
    if lm is not None:    # warm-up, not counted
        generate_tweets(a.generator, n=2, batch_size=2, max_new_tokens=8, model_and_tokenizer=(lm, lm), threads=threads, progress=False)
    data = None
    if a.data:
        from deepfake_detect.data import load_tweepfake
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = load_tweepfake(a.data, splits=["train"])
    human = _human_texts(data)
    topics = extract_topics(human) if human else None
    sampling = SamplingConfig(max_new_tokens=a.max_new_tokens)
    chat = bool(getattr(tok, "chat_template", None))
    per = [a.n // a.rounds + (r < a.n % a.rounds) for r in range(a.rounds)]
    ours = dict(kept=0, seconds=0.0, tried=0, dropped={})
    plain = dict(sequences=0, seconds=0.0)
    frames = []
    for r, k in enumerate(per):
        seed = a.seed + r
        def run_ours():
            g = generate_tweets(a.generator, n=k, data=data, batch_size=batch, **vars(sampling), seed=seed,
                                model_and_tokenizer=(lm, lm) if lm is not None else (model, tok), threads=threads, progress=False)
            ours["kept"] += len(g.tweets); ours["seconds"] += g.seconds; ours["tried"] += g.prompts_tried
            for why, c in g.dropped.items(): ours["dropped"][why] = ours["dropped"].get(why, 0) + c
            frames.append(g.tweets)
            return g.prompts_tried
        prompts = make_prompts(k * 4, topics, None, examples=human, seed=seed)   # what generate_tweets draws for this seed
        def run_plain(lo, hi):
            who[0] = "plain"
            set_seed(seed + 1000 * lo)
            n, s = plain_generate(model, tok, prompts[lo:hi], a.plain_batch_size, sampling, chat)
            plain["sequences"] += n; plain["seconds"] += s
            who[0] = "ours"
        if r % 2 == 0:                        # ours first, then plain on the prompts it tried
            tried = run_ours(); run_plain(0, tried)
        else:                                 # plain first on k prompts, then ours, then plain on the rest it tried
            run_plain(0, k); tried = run_ours()
            if tried > k: run_plain(k, tried)
        print(f"round {r + 1}/{a.rounds}: ours {ours['kept']} kept / {ours['tried']} tried in {ours['seconds']:.1f} s; "
              f"plain {plain['sequences']} in {plain['seconds']:.1f} s; load {os.getloadavg()[0]:.2f}", flush=True)
    tpm = ours["kept"] / ours["seconds"] * 60
    ppm = plain["sequences"] / plain["seconds"] * 60
    steps = {w: sum(c[2] for c in calls if c[0] == w) for w in ("ours", "plain")}
    gen_s = {w: sum(c[3] for c in calls if c[0] == w) for w in ("ours", "plain")}
    res = {"generator": spec.gguf_file or (spec.path.name if spec.path is not None else spec.source),   # no machine path
           "engine": engine, "data": a.data, "n": ours["kept"], "rounds": a.rounds,
           "tweets_per_minute": round(tpm, 2), "plain_generate_tweets_per_minute": round(ppm, 2), "ratio": round(tpm / ppm, 3),
           "seconds": round(ours["seconds"], 1), "plain_seconds": round(plain["seconds"], 1),
           "prompts_tried": ours["tried"], "kept_share": round(ours["kept"] / max(ours["tried"], 1), 3),
           "dropped": ours["dropped"], "plain_sequences": plain["sequences"],
           "decoding_steps": steps, "ms_per_step": {w: round(gen_s[w] / max(steps[w], 1) * 1000, 1) for w in steps},
           "seconds_in_model_generate": {w: round(v, 1) for w, v in gen_s.items()},
           "batches": {w: [c[1] for c in calls if c[0] == w] for w in ("ours", "plain")},
           "batch_size": batch, "plain_batch_size": a.plain_batch_size, "max_new_tokens": a.max_new_tokens, "threads": threads, "load_seconds": round(load_s, 1),
           "cpu_count": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
           "load_average_after": [round(x, 2) for x in os.getloadavg()],
           "machine": platform.processor() or platform.machine(), "torch": torch.__version__,
           "command": "python bench/generate_speed.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu_affinity": sorted(os.sched_getaffinity(0))}
    if lm is not None:
        import importlib.metadata as md
        res |= {"weights": lm.weights, "llama_cpp_python": md.version("llama-cpp-python"),
                "decode_ms_per_token": {w: decode_costs(lm if w == lm.weights else LlamaCppModel(spec.path, threads=threads, n_seq=32, weights=w))
                                        for w in dict.fromkeys([lm.weights, "file"])}}
        print("decode ms per token at 1, 8, 32 answers at once:", res["decode_ms_per_token"], flush=True)
    if a.fidelity and a.data:
        from deepfake_detect.data import load_tweepfake
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            val = load_tweepfake(a.data, splits=["validation"])["validation"].to_pandas()
        res["fidelity"] = fidelity(model, tok, spec.path, val.text.sample(a.fidelity, random_state=0).tolist(), threads)
        print("fidelity:", res["fidelity"], flush=True)
    print(json.dumps(res, indent=1))
    df = pd.concat(frames, ignore_index=True)
    for t in df.text[:8]: print("-", t.replace("\n", " / "))
    if a.out: write_tweets(df, a.out)
    if a.json:
        from deepfake_detect.core import atomic_write
        with atomic_write(a.json) as f: json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
