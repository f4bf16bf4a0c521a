"""Zero-shot scoring speed: tweets/s of `deepfake_detect.zeroshot.ZeroShotScorer`.

    python bench/zeroshot_speed.py                      # SmolLM2-135M-Instruct GGUF (offline default), 50 tweets
    python bench/zeroshot_speed.py --n 200 --batch-size 32 --threads 1 --data ../shared/data/tweepfake
    python bench/zeroshot_speed.py --model apple/OpenELM-270M --observer apple/OpenELM-270M-Instruct

Texts: the first --n tweets of a stratified draw from `<data>/validation.csv` (TweepFake format; default: the
developers' shared copy when present), else invented tweet-like texts. Prints the model load time, tweets/s and
tokens/s of scoring (after a warm-up batch), and writes them as JSON with --json.
"""
from __future__ import annotations
import argparse, json, os, platform, random, sys, time
from pathlib import Path


def tweet_like(n: int, seed: int = 0) -> list[str]:
    "Invented tweet-like texts, 6-40 words, for machines without TweepFake."
    words = ("the a my our this that new old good bad great little big just really so very not never always today "
             "tonight tomorrow week morning people friends world music game team city coffee rain work school time "
             "love hate think know want need feel see watch read play win lose go come make take give get "
             "amazing awful happy sad funny weird #monday #news @friend lol omg").split()
    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(rng.randint(6, 40))) for _ in range(n)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=None, help="hub id, local folder or .gguf (default: SmolLM2-135M GGUF)")
    p.add_argument("--observer", default=None, help="second model with the same tokenizer (Binoculars)")
    p.add_argument("--data", default=None, help="TweepFake-format folder (validation.csv is read)")
    p.add_argument("--n", type=int, default=50, help="tweets to score")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--json", default=None, help="write the figures to this JSON file")
    a = p.parse_args(argv)

    import torch
    if a.threads: torch.set_num_threads(a.threads)
    from deepfake_detect.core import atomic_write, library_versions
    from deepfake_detect.testing import shared_path
    from deepfake_detect.zeroshot import ZeroShotScorer, stratified_subset

    data = Path(a.data) if a.data else shared_path("data", "tweepfake")
    if data is not None and (data / "validation.csv").exists():
        import warnings
        from deepfake_detect.data import load_tweepfake
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            texts = stratified_subset(load_tweepfake(data, splits=["validation"])["validation"], a.n)["text"]
        source = str(data / "validation.csv")
    else:
        texts, source = tweet_like(a.n), "invented tweet-like texts"

    t0 = time.perf_counter()
    sc = ZeroShotScorer(a.model, observer=a.observer, device=a.device, batch_size=a.batch_size,
                        max_length=a.max_length)
    load_s = time.perf_counter() - t0
    sc.score(texts[:min(4, len(texts))], progress=False)                 # warm-up
    df = sc.score(texts)
    sp = sc.last_speed
    res = dict(model=sc.name, observer=sc.observer_name, device=sc.device, texts=source, n=len(texts),
               batch_size=a.batch_size, max_length=a.max_length, load_s=round(load_s, 1),
               seconds=round(sp["seconds"], 2), tweets_per_s=round(sp["texts_per_s"], 2),
               tokens_per_s=round(float(df.n_tokens.sum() + len(df)) / sp["seconds"], 1),
               mean_tokens=round(float(df.n_tokens.mean() + 1), 1), torch_threads=torch.get_num_threads(),
               cpu=platform.processor() or platform.machine(), cpus=os.cpu_count(),
               gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
               versions={k: v for k, v in library_versions().items() if k in ("torch", "transformers")})
    print(f"{res['model']}{' / ' + res['observer'] if res['observer'] else ''} on {res['device']} "
          f"({res['torch_threads']} threads): {res['n']} tweets in {res['seconds']} s = {res['tweets_per_s']} tweets/s, "
          f"{res['tokens_per_s']} tokens/s (mean {res['mean_tokens']} tokens/tweet, batch {a.batch_size}); "
          f"load {res['load_s']} s")
    if a.json:
        with atomic_write(a.json) as f: json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
