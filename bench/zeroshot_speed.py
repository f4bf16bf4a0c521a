"""Zero-shot scoring speed: tweets/s of `deepfake_detect.zeroshot.ZeroShotScorer`.

    python bench/zeroshot_speed.py                      # SmolLM2-135M-Instruct GGUF (offline default), 50 tweets
    python bench/zeroshot_speed.py --n 200 --batch-size 32 --threads 1 --data ../shared/data/tweepfake
    python bench/zeroshot_speed.py --model apple/OpenELM-270M --observer apple/OpenELM-270M-Instruct

    python bench/zeroshot_speed.py --n 96 --compare 16x1,16x2,32x1,64x1 --json /tmp/zs.json

Texts: the first --n tweets of a stratified draw from `<data>/validation.csv` (TweepFake format; default: the
developers' shared copy when present), else invented tweet-like texts. Prints the model load time, tweets/s and
tokens/s of scoring (after a warm-up batch), and writes them as JSON with --json (`tweets_per_s` is the
scorer's default: --batch-size, threads from `auto_threads()` unless --threads). `--compare BxT,...` also
scores the same texts with batch size B and T torch threads, interleaved with the default configuration
(one pass each, in turn, --repeats times), and reports each as tweets/s and as a ratio to the default, with
the 1-minute load average: on a shared CPU only figures measured side by side compare.
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
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: auto_threads())")
    p.add_argument("--compare", default="", help="more configurations BATCHxTHREADS, comma-separated, e.g. 16x2,64x1")
    p.add_argument("--repeats", type=int, default=1, help="passes of each configuration (interleaved)")
    p.add_argument("--json", default=None, help="write the figures to this JSON file")
    a = p.parse_args(argv)

    import torch
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

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    sc = ZeroShotScorer(a.model, observer=a.observer, device=a.device, batch_size=a.batch_size,
                        max_length=a.max_length, threads=a.threads)
    load_s = time.perf_counter() - t0
    sc.score(texts[:min(4, len(texts))], progress=False)                 # warm-up
    configs = [("default", a.batch_size, a.threads)] + [
        (c, int(c.split("x")[0]), int(c.split("x")[1])) for c in a.compare.split(",") if c.strip()]
    runs = {name: [] for name, _, _ in configs}
    for _ in range(a.repeats):
        for name, bs, thr in configs:
            sc.batch_size, sc.threads = bs, thr
            df = sc.score(texts, progress=False)
            runs[name].append(dict(sc.last_speed, load=os.getloadavg()[0]))
    sc.batch_size, sc.threads = a.batch_size, a.threads
    def summary(rs):
        secs = sum(r["seconds"] for r in rs)
        return dict(tweets_per_s=round(len(texts) * len(rs) / secs, 2), tokens_per_s=round(sum(r["tokens"] for r in rs) / secs, 1),
                    threads=rs[0]["threads"], seconds=round(secs, 2), load=[round(r["load"], 2) for r in rs])
    by = {name: summary(rs) for name, rs in runs.items()}
    base = by["default"]["tweets_per_s"]
    for name, v in by.items(): v["ratio_to_default"] = round(v["tweets_per_s"] / base, 3)
    res = dict(model=sc.name, observer=sc.observer_name, device=sc.device, texts=source, n=len(texts),
               batch_size=a.batch_size, max_length=a.max_length, load_s=round(load_s, 1),
               seconds=by["default"]["seconds"], tweets_per_s=base, tokens_per_s=by["default"]["tokens_per_s"],
               mean_tokens=round(float(df.n_tokens.mean() + 1), 1), threads=by["default"]["threads"], configs=by,
               load_average_before=[round(x, 2) for x in load_before], load_average_after=[round(x, 2) for x in os.getloadavg()],
               cpu=platform.processor() or platform.machine(), cpus=os.cpu_count(),
               gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
               versions={k: v for k, v in library_versions().items() if k in ("torch", "transformers")})
    print(f"{res['model']}{' / ' + res['observer'] if res['observer'] else ''} on {res['device']}: {res['n']} tweets, "
          f"mean {res['mean_tokens']} tokens; load {res['load_s']} s; load average {load_before[0]:.2f}")
    for name, v in by.items():
        print(f"  {name:>8}: {v['tweets_per_s']:7.2f} tweets/s  {v['tokens_per_s']:8.1f} tokens/s  "
              f"threads {v['threads']}  x{v['ratio_to_default']:.2f}  load {v['load']}")
    if a.json:
        with atomic_write(a.json) as f: json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
