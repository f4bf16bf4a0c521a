"""Execute notebooks and store their outputs in the .ipynb, for the docs.

nbdev builds the docs pages from the outputs *stored* in the notebooks; it never runs them for the site.
This runs each notebook the way `nbdev-test` does -- in-process in a fresh `execnb.shell.CaptureShell`,
cwd = the notebook's folder, `IN_TEST=1`, the project's `sys.path` -- and skips the same cells:
markdown, `#| eval: false`, cells flagged with one of `tst_flags` ([tool.nbdev] in pyproject.toml) unless
`--flags` names the flag, and whole notebooks with `skip_exec: true` front matter. (The cell selection is
nbdev's own `nbdev.test.nb_test_cells`.) Executed cells get their new outputs; skipped cells keep the
outputs they had, so a stored output of a slow cell survives (`--clear-skipped` empties them instead).

The notebook is written only when every executed cell succeeded, atomically (temp file + rename), and
already cleaned the way `nbdev-clean` cleans it (execution counts, metadata, `at 0x…` ids), so a following
`nbdev-clean` leaves it unchanged. Volatile text is normalised so that a re-run gives a small diff:
the random folder under the temp dir (`/tmp/tmpab12cd/x.csv` -> `…/x.csv`) in text outputs, and in
streams progress bars: `\r` overwrites are collapsed to what a terminal finally shows, and tqdm's timing
bracket (`[00:01<00:00, 98.5it/s]`) is dropped.

Figures: CaptureShell switches matplotlib to the inline backend and captures each figure as an
`image/png` display output (`MPLBACKEND` is set to the inline backend too, for code that imports pyplot
before the shell exists). The default `--mpl-format png` stores 1x PNGs: `retina` (execnb's default)
relies on output metadata that `nbdev-clean` strips, so the image would show at twice its size.
Code that calls `matplotlib.use("Agg")` itself turns this capture off for the rest of that notebook.

Stops at the first failing cell: prints notebook, cell number/id, the cell's first lines and the
traceback, leaves that notebook untouched and exits 1. Notebooks run before it are kept.

Usage (from the project root, with the project's virtualenv):
    python tools/run_nbs.py                        # every nbs/*.ipynb not starting with `_` or `.`
    python tools/run_nbs.py nbs/00_core.ipynb nbs/04_evaluate.ipynb
    python tools/run_nbs.py --flags slow nbs/03_train.ipynb   # also run (and store) `#| slow` cells
    python tools/run_nbs.py --clear-skipped        # empty the outputs of cells that were not run
    python tools/run_nbs.py --dry-run              # execute and report, write nothing
"""
import argparse, os, re, sys, tempfile, time, traceback
from pathlib import Path

os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
# The pages show what a reader needs, not the libraries' loading and saving bars (transformers' "Loading weights",
# "Writing model shards", datasets' "Map"): they are turned off for the run that stores the outputs.
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"

from fastcore.nbio import read_nb, nb2str
from fastcore.xtras import loads
from execnb.shell import CaptureShell
from nbdev.config import get_config
from nbdev.clean import clean_nb
from nbdev.test import nb_test_cells


# ---------------------------------------------------------------- output normalisation
def _tmp_roots():
    "Temp-dir prefixes whose first sub-folder is volatile"
    roots = {tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir()), "/tmp"}
    return sorted(roots, key=len, reverse=True)

_TMP_RE = re.compile("(?:" + "|".join(re.escape(r) for r in _tmp_roots()) + r")/[^/\s'\"<>`()\[\],;:]+(/?)")

def scrub_text(s: str) -> str:
    "Replace `<tempdir>/<random folder>/` by `…/` (and a bare `<tempdir>/<random folder>` by `…`)"
    return _TMP_RE.sub(lambda m: "…" + m.group(1), s)

def _cr_collapse(s: str) -> str:
    "What a terminal shows of text with `\\r` overwrites (tqdm bars): the last segment of each line"
    if "\r" not in s: return s
    out = []
    for line in s.split("\n"):
        segs = [p for p in line.split("\r") if p]
        out.append(segs[-1] if segs else "")
    return "\n".join(out)

_TQDM_STATS = re.compile(r" ?\[\d+:\d+(?::\d+)?<[^\]\n]*\]")  # tqdm's "[00:01<00:02, 3.4it/s]"

def _tqdm_stats(s: str) -> str:
    "Drop tqdm's elapsed/remaining/rate bracket (different on every run) from progress-bar lines"
    return _TQDM_STATS.sub("", s) if "|" in s else s

def _lines(s: str) -> list:
    "Split `s` after each newline only (`str.splitlines` would also split at `\\r` and friends)"
    return re.findall(r"[^\n]*\n|[^\n]+$", s)

def _map_text(v, f):
    "Apply `f` to the whole text of a notebook text field (a str or a list of line strs)"
    if isinstance(v, str): return f(v)
    if isinstance(v, list) and v and all(isinstance(o, str) for o in v): return _lines(f("".join(v)))
    return v

def normalise_outputs(nbd: dict):
    "Scrub volatile text in the outputs of plain-dict notebook `nbd`, in place"
    for c in nbd.get("cells", []):
        for o in c.get("outputs", []) or []:
            if o.get("output_type") == "stream":
                o["text"] = _map_text(o.get("text", ""), lambda t: scrub_text(_tqdm_stats(_cr_collapse(t))))
            for k in list(o.get("data", {})):
                if k.startswith("text/"): o["data"][k] = _map_text(o["data"][k], scrub_text)


# ---------------------------------------------------------------- one notebook
class CellError(Exception): pass

def _write_atomic(path: Path, text: str):
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f: f.write(text)
        if path.exists(): os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True); raise

def clean_text(nb, cfg) -> str:
    "`nb` as the text `nbdev-clean` would write, after scrubbing volatile output text"
    d = loads(nb2str(nb))  # plain dicts, exactly what `nbdev-clean` loads from disk
    normalise_outputs(d)
    clean_nb(d, cfg.clear_all, cfg.get("allowed_metadata_keys") or [], cfg.get("allowed_cell_metadata_keys") or [],
             cfg.clean_ids, cfg.get("allowed_out_metadata_keys") or [])
    return nb2str(d)

def run_nb(fn: Path, cfg, skip_flags, force_flags, clear_skipped=False, cell_timeout=None, mpl_format="png",
           write=True, verbose=False):
    "Execute `fn`, store outputs; returns a stats dict. Raises `CellError` (nothing written) on a failing cell."
    fn = Path(fn).resolve()
    t0 = time.time()
    nb = read_nb(fn)
    run_idx = {c.idx_ for c in nb_test_cells(fn, skip_flags, force_flags)}
    skip = lambda c: c.idx_ not in run_idx
    code = [c for c in nb.cells if c.cell_type == "code"]
    n_run, cur = 0, [None]

    def _pre(c):
        if skip(c): return True
        cur[0] = c
        return False
    def _post(c):
        nonlocal n_run
        n_run += 1

    if run_idx:
        if str(cfg.config_path) not in sys.path: sys.path.insert(0, str(cfg.config_path))
        prev = os.environ.get("IN_TEST"); os.environ["IN_TEST"] = "1"
        k = CaptureShell(fn, mpl_format=mpl_format, profile=bool(cfg.get("exec_profile")))
        cwd = os.getcwd()
        try:
            os.chdir(fn.parent)
            try: k.run_all(nb, exc_stop=True, preproc=_pre, postproc=_post, verbose=verbose, cell_timeout=cell_timeout)
            except BaseException as e:
                if isinstance(e, KeyboardInterrupt): raise
                c = cur[0]
                src = "".join(c.source).splitlines()[:6] if c is not None else []
                where = f"cell {c.idx_+1} (id {c.get('id', '?')})" if c is not None else "setup"
                tb = "".join(traceback.format_exception(type(e), e, e.__traceback__)) if k.exc is None else \
                     k.prettytb(fname=fn)
                raise CellError(f"{fn.name}: {where} failed\n--- cell source (first lines) ---\n" +
                                "\n".join(src) + f"\n--- traceback ---\n{tb}") from None
        finally:
            os.chdir(cwd)
            k.close()
            if prev is None: os.environ.pop("IN_TEST", None)
            else: os.environ["IN_TEST"] = prev
            if "matplotlib.pyplot" in sys.modules: sys.modules["matplotlib.pyplot"].close("all")

    if clear_skipped:
        for c in code:
            if skip(c): c.outputs, c.execution_count = [], None
    text = clean_text(nb, cfg)
    changed = text != fn.read_text(encoding="utf-8")
    if write and changed: _write_atomic(fn, text)
    final = loads(text)["cells"]
    return dict(executed=n_run, code=len(code), with_out=sum(bool(c.get("outputs")) for c in final if c["cell_type"] == "code"),
                kept=sum(bool(c.outputs) for c in code if skip(c)) if not clear_skipped else 0,
                secs=time.time() - t0, changed=changed, skip_exec=not run_idx)


# ---------------------------------------------------------------- CLI
def default_nbs(cfg):
    return sorted(p for p in Path(cfg.nbs_path).glob("*.ipynb") if p.name[0] not in "_.")

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("nbs", nargs="*", metavar="NB", help="notebooks to run (default: every nbs/*.ipynb not starting with _ or .)")
    p.add_argument("--flags", default="", help="space-separated tst_flags to run anyway, as `nbdev-test --flags` (e.g. 'slow')")
    p.add_argument("--clear-skipped", action="store_true", help="empty the outputs of cells that are not run (default: keep them)")
    p.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default: the cell_timeout config, 600; 0: none)")
    p.add_argument("--mpl-format", default="png", help="matplotlib inline format: png (default), retina, svg, ...")
    p.add_argument("--dry-run", action="store_true", help="execute and report, but write nothing")
    p.add_argument("--verbose", action="store_true", help="also stream the cells' stdout/stderr to the console")
    a = p.parse_args(argv)

    cfg = get_config(Path(a.nbs[0]).resolve().parent if a.nbs else None)
    skip_flags = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags or [])
    force_flags = a.flags.split()
    timeout = cfg.cell_timeout if a.cell_timeout is None else a.cell_timeout
    fns = [Path(f) for f in a.nbs] or default_nbs(cfg)
    missing = [str(f) for f in fns if not f.is_file()]
    if missing: p.error("no such notebook: " + ", ".join(missing))

    print(f"{'notebook':<28} {'executed':>8} {'code':>5} {'w/ out':>6} {'kept':>5} {'secs':>7}  written")
    total = time.time()
    for fn in fns:
        try:
            r = run_nb(fn, cfg, skip_flags, force_flags, a.clear_skipped, timeout or None, a.mpl_format,
                       write=not a.dry_run, verbose=a.verbose)
        except CellError as e:
            print(f"{fn.name:<28} FAILED -- not written", flush=True)
            sys.stderr.write(f"\nrun_nbs: {e}\n")
            return 1
        w = "dry-run" if a.dry_run else ("yes" if r["changed"] else "unchanged")
        if r["skip_exec"]: w += " (skip_exec / not python: nothing run)"
        print(f"{fn.name:<28} {r['executed']:>8} {r['code']:>5} {r['with_out']:>6} {r['kept']:>5} {r['secs']:>7.1f}  {w}", flush=True)
    print(f"done: {len(fns)} notebook(s) in {time.time()-total:.1f}s "
          "(executed: cells run; w/ out: code cells storing outputs; kept: skipped cells whose old outputs were kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
