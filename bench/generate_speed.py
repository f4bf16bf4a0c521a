"""Generation speed: tweets/minute of `deepfake_detect.generate.generate_tweets`.

    python bench/generate_speed.py                          # SmolLM2-135M-Instruct GGUF (offline default), 20 tweets
    python bench/generate_speed.py --n 40 --batch-size 8 --data ../shared/data/tweepfake --out /tmp/gen.csv

Prints the tokenizer and model load times (the GGUF tokenizer is cached after the first load, so run it twice
to see both), then generates --n tweets (prompts from the human train tweets of --data when given, else the
built-in topics) and prints tweets/minute and a few examples. Not a test: figures depend on the machine and
its load (the developers' CPU is shared).
"""
from __future__ import annotations
import argparse, json, os, platform, sys, time, warnings
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--generator", default=None, help="hub id, folder or .gguf (default: SmolLM2-135M-Instruct GGUF)")
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-new-tokens", type=int, default=80)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--data", default=None, help="TweepFake folder for topics and examples")
    p.add_argument("--out", default=None, help="also write the tweets to this CSV file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="write the figures to this JSON file")
    a = p.parse_args(argv)

    import torch
    from deepfake_detect.generate import resolve_generator, load_generator, generate_tweets, SamplingConfig
    if a.threads: torch.set_num_threads(a.threads)
    spec = resolve_generator(a.generator)
    t0 = time.perf_counter(); model, tok = load_generator(spec, device="cpu"); load_s = time.perf_counter() - t0
    print(f"{spec.label}: loaded in {load_s:.1f} s ({sum(x.numel() for x in model.parameters())/1e6:.1f} M parameters)")
    data = None
    if a.data:
        from deepfake_detect.data import load_tweepfake
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = load_tweepfake(a.data, splits=["train"])
    g = generate_tweets(a.generator, n=a.n, data=data, batch_size=a.batch_size,
                        sampling=SamplingConfig(max_new_tokens=a.max_new_tokens), seed=a.seed, out=a.out,
                        model_and_tokenizer=(model, tok))
    df, secs = g.tweets, g.seconds
    res = {"generator": spec.label, "n": len(df), "seconds": round(secs, 1), "tweets_per_minute": round(len(df) / secs * 60, 2),
           "prompts_tried": g.prompts_tried, "dropped": g.dropped, "load_seconds": round(load_s, 1),
           "batch_size": a.batch_size, "max_new_tokens": a.max_new_tokens, "threads": torch.get_num_threads(),
           "cpu_count": os.cpu_count(), "load_average": os.getloadavg(), "machine": platform.processor() or platform.machine()}
    print(json.dumps(res, indent=1))
    for t in df.text[:10]: print("-", t.replace("\n", " / "))
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
