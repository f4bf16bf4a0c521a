"""Store what the docs pages show of a real run under `results/real/NAME/`, without the run itself.

Runs are not kept in the repository (models are large, and a run directory holds the tweets it scored, which are
third-party data). The pages that show real results read this instead: the evaluation's JSON (machine paths
reduced to file names, no tweet texts: `eval-<split>.json` holds none), its PNG plots, the training's metrics and
log history, the run's `run.json`, and `command.txt` with the commands that made it.

    python tools/store_run.py RUN NAME "COMMANDS"     # e.g. /work/runs/tfidf tfidf "deepfake-detect run ..."
"""
import json, shutil, sys
from pathlib import Path


def _strip(obj, run: Path):
    "`obj` with absolute paths of this machine reduced to names (relative to the run where they lie inside it)."
    if isinstance(obj, dict): return {k: _strip(v, run) for k, v in obj.items()}
    if isinstance(obj, list): return [_strip(v, run) for v in obj]
    if isinstance(obj, str) and (obj.startswith("/") or obj.startswith("..")) and len(obj) < 400:
        p = Path(obj)
        try: return p.relative_to(run).as_posix() or "."
        except ValueError: return p.name
    return obj


def store(run, name: str, command: str, root: Path = Path(__file__).resolve().parents[1]) -> Path:
    run, out = Path(run).resolve(), root / "results" / "real" / name
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    for f in sorted(run.glob("eval-*.json")) + [run / n for n in ("metrics.json", "run.json", "log_history.json")]:
        if f.exists(): (out / f.name).write_text(json.dumps(_strip(json.loads(f.read_text()), run), indent=1) + "\n")
    for f in sorted(run.glob("*.png")): shutil.copy(f, out / f.name)
    (out / "command.txt").write_text(command.strip() + "\n")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 4: sys.exit(__doc__)
    print(store(*sys.argv[1:4]))
