"""Offline docs check: process the notebooks for the docs, render every page, check pages show outputs.

The docs site is built by the GitHub workflow with Quarto, which these machines lack. This checks what can
be checked offline, in four steps:

1. `nbdev-proc-nbs --n-workers 1` on an emptied `_proc/` (skip with `--no-proc`; `--cached` keeps `_proc/`): nbdev's
   docs processing, which executes every cell holding an import (whatever its flags) and every
   `show_doc`, into `_proc/`. If it fails, the site would not build: the tail of its log is shown
   (full log in `.ci-proc.log`) and the check exits 1 at once.
2. Render every `_proc/*.ipynb` to HTML with `jupyter nbconvert --to html` into `_docs_html/`
   (emptied first; git-ignored). The processed notebooks carry cell keys for Quarto (`has_sd`) that
   nbformat's schema rejects (and execnb's float `execution` timings in cell metadata), so they are
   rendered from copies without them (in a temp folder).
3. Check each page:
   - it rendered (a non-empty HTML file);
   - for every numbered notebook (name starts with a digit) except the exempt ones (`--exempt`,
     default `10_cli index`): the SOURCE notebook in nbs/ stores at least one output in a showing code
     cell, and the rendered page holds output areas. nbdev builds pages from stored outputs, so a
     notebook whose showing cells store none renders as code with nothing under it (fill them with
     `python tools/run_nbs.py`). A showing cell is a non-empty code cell that the docs keep with its
     output: not `#| hide`, `#| export`, `#| exporti`, `#| default_exp`, `#| include: false` or
     `#| output: false` (nbdev's own rules, `nbdev.processors.rm_export`/`hide_`), and not only
     `show_doc(...)` calls (the docs processing makes those outputs itself).
4. Print a table (page, rendered, showing cells with outputs / showing cells, output areas in the
   HTML) and exit 1 listing the failing pages, else 0.
5. `tools/docs_lint.py` on the stored outputs, the prose and the README: machine paths, progress-bar debris,
   library warnings, leftovers, cut text, accuracies no `results/*.json` holds, a preset with two training
   times. The count of each (file, class) may not grow beyond `tools/docs_lint_baseline.json` (the problems
   known when the check came in, being worked off); `--update-baseline` writes the current counts when they
   only went down. A new problem fails the check, named.

`--screenshot PAGE` (e.g. `04_evaluate`, `evaluate`, or a path to an .html) also takes a PNG of the
rendered page with headless Chromium (`chromium`, `chromium-browser`, `google-chrome`), written to
`_docs_html/PAGE.png` (or `--screenshot-out`); without such a binary it says so and carries on.

Usage (from anywhere in the project, with the project's virtualenv):
    python tools/check_docs.py                       # the full check (what .ci/run runs)
    python tools/check_docs.py --no-proc             # reuse _proc/, only render and check
    python tools/check_docs.py --no-proc --screenshot 04_evaluate
"""
import argparse, json, re, shutil, subprocess, sys, tempfile, time
from collections import Counter
from pathlib import Path

from nbdev.config import get_config
from nbdev.process import NBProcessor

HIDDEN_DIRS = {"hide", "export", "exporti", "default_exp"}   # nbdev.processors: rm_export + hide_

def _show_doc_only(code: str) -> bool:
    "Is `code` nothing but `show_doc(...)` calls (and comments)?"
    ls = [l.strip() for l in code.splitlines() if l.strip() and not l.strip().startswith("#")]
    return bool(ls) and all(l.startswith("show_doc(") for l in ls)


def _bin(name):
    "`name` from this interpreter's bin folder (the virtualenv), else from PATH"
    p = Path(sys.executable).parent / name
    return str(p) if p.exists() else shutil.which(name)


# ---------------------------------------------------------------- 1. docs processing
def proc_nbs(root: Path, force=True) -> bool:
    exe = _bin("nbdev-proc-nbs")
    if exe is None: sys.exit("check_docs: nbdev-proc-nbs not found (is the project's virtualenv active?)")
    # nbdev 3.3.26 passes `--force` on to `nbdev_sidebar`, which then rewrites the custom nbs/sidebar.yml;
    # so "build all" is done by emptying _proc/ (no cache left) instead of passing --force.
    if force: shutil.rmtree(root / "_proc", ignore_errors=True)
    cmd = [exe, "--n-workers", "1"]
    log = root / ".ci-proc.log"
    with open(log, "w") as f: r = subprocess.run(cmd, cwd=root, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        lines = [l for l in log.read_text(errors="replace").splitlines() if not re.search("quarto|Quarto|sudo", l)]
        sys.stderr.write("\n".join(lines[-40:]) + "\n")
        sys.stderr.write(f"nbdev-proc-nbs failed: the documentation site would not build (full log: {log})\n")
        return False
    return True


# ---------------------------------------------------------------- 2. render
_CELL_KEYS = {"code": {"cell_type", "execution_count", "id", "metadata", "outputs", "source"},
              "markdown": {"cell_type", "id", "metadata", "source", "attachments"},
              "raw": {"cell_type", "id", "metadata", "source", "attachments"}}

def _stage(src: Path, dst: Path):
    """Copy `src` to `dst` without the extra cell keys nbdev's docs processing adds for Quarto (e.g.
    `has_sd`), which nbformat's schema rejects, so nbconvert would refuse the page"""
    nb = json.loads(src.read_text(encoding="utf-8"))
    for c in nb.get("cells", []):
        keep = _CELL_KEYS.get(c.get("cell_type"))
        if keep:
            for k in set(c) - keep: del c[k]
        if isinstance(c.get("metadata"), dict): c["metadata"].pop("execution", None)  # execnb's float timings: not schema
    dst.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")

def render(proc: Path, out: Path) -> dict:
    "Render `proc`'s notebooks into `out`; returns {stem: error message or None}"
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    stage = Path(tempfile.mkdtemp(prefix="check_docs_"))
    try: return _render(sorted(p for p in proc.glob("*.ipynb") if p.name[0] not in "_."), stage, out)
    finally: shutil.rmtree(stage, ignore_errors=True)

def _render(srcs, stage: Path, out: Path) -> dict:
    nbs = []
    for p in srcs:
        _stage(p, stage / p.name)
        nbs.append(stage / p.name)
    jup = _bin("jupyter")
    base = [jup, "nbconvert"] if jup else [sys.executable, "-m", "nbconvert"]
    base += ["--to", "html", "--log-level", "WARN", "--output-dir", str(out)]
    r = subprocess.run(base + [str(p) for p in nbs], capture_output=True, text=True)  # one process: fast
    res = {}
    for p in nbs:
        h = out / f"{p.stem}.html"
        if h.exists() and h.stat().st_size: res[p.stem] = None; continue
        # batch stopped at this one (or skipped it): render it alone to get its own error
        r1 = subprocess.run(base + [str(p)], capture_output=True, text=True)
        ok = r1.returncode == 0 and h.exists() and h.stat().st_size
        if ok: res[p.stem] = None; continue
        lines = (r1.stderr or r.stderr).strip().splitlines()
        res[p.stem] = next((l.split("ERROR |", 1)[1].strip() for l in lines if "ERROR |" in l), lines[-1] if lines else "no output")
    return res


def output_areas(html: Path) -> int:
    "Number of cell output areas in an nbconvert HTML page (lab and classic templates)"
    if not html.exists(): return 0
    t = html.read_text(encoding="utf-8", errors="replace")
    return len(re.findall(r'class="[^"]*\bjp-OutputArea-output\b', t)) or len(re.findall(r'class="[^"]*\boutput_area\b', t))


# ---------------------------------------------------------------- 3. source notebooks
def showing_cells(fn: Path):
    "(showing code cells, those of them storing outputs) of the notebook `fn`"
    nb = NBProcessor(fn, rm_directives=False).nb   # nbdev's directive parsing, notebook-level ones included
    shown = []
    for c in nb.cells:
        if c.cell_type != "code": continue
        d = c.directives_ or {}
        if HIDDEN_DIRS & d.keys() or str(d.get("include", "")).lower() == "false" \
           or str(d.get("output", "")).lower() == "false": continue
        code = "".join(l for l in c.source.splitlines(True) if not re.match(r"\s*#\s*\|", l))
        if not code.strip() or "nbdev_export(" in code or _show_doc_only(code): continue
        shown.append(c)
    return len(shown), sum(bool(c.get("outputs")) for c in shown)


# ---------------------------------------------------------------- screenshot
def chromium():
    for b in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if p := shutil.which(b): return p

def screenshot(page: str, html_dir: Path, out: str = None, width=1280, height=2400) -> bool:
    b = chromium()
    if b is None:
        print("screenshot: unavailable (no chromium / chromium-browser / google-chrome binary on PATH)")
        return False
    h = Path(page)
    if h.suffix != ".html" or not h.exists():
        stem = Path(page).stem
        cands = [p for p in html_dir.glob("*.html") if p.stem == stem or re.sub(r"^\d+[a-z]?_", "", p.stem) == stem]
        if len(cands) != 1:
            print(f"screenshot: no single rendered page matches {page!r} in {html_dir}")
            return False
        h = cands[0]
    png = Path(out) if out else html_dir / f"{h.stem}.png"
    cmd = [b, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           f"--window-size={width},{height}", "--virtual-time-budget=5000", f"--screenshot={png.resolve()}",
           h.resolve().as_uri()]
    try: r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        print("screenshot: chromium timed out"); return False
    if png.exists() and png.stat().st_size:
        print(f"screenshot: {png} ({png.stat().st_size//1024} KiB, {width}x{height})"); return True
    print("screenshot: chromium failed: " + (r.stderr.strip().splitlines() or ["no message"])[-1])
    return False


# ---------------------------------------------------------------- CLI
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--no-proc", action="store_true", help="skip nbdev-proc-nbs; use _proc/ as it is")
    p.add_argument("--cached", action="store_true", help="run nbdev-proc-nbs without --force (only changed notebooks)")
    p.add_argument("--exempt", default="10_cli index", help="space-separated pages exempt from the outputs check")
    p.add_argument("--screenshot", metavar="PAGE", help="also take a PNG of this rendered page with headless Chromium")
    p.add_argument("--screenshot-out", metavar="PNG", help="where to write the screenshot (default: _docs_html/PAGE.png)")
    p.add_argument("--lint-only", action="store_true", help="only step 5 (docs_lint against the baseline)")
    p.add_argument("--update-baseline", action="store_true", help="with --lint-only: write the lint counts (only when none grew)")
    a = p.parse_args(argv)
    if a.lint_only: return lint_step(Path(get_config().config_path), a.update_baseline)

    cfg = get_config()
    root, nbs_path = Path(cfg.config_path), Path(cfg.nbs_path)
    proc, html_dir = root / "_proc", root / "_docs_html"
    t0 = time.time()
    if not a.no_proc:
        print(f"nbdev-proc-nbs: processing every notebook for the docs{'' if a.cached else ' (--force)'}", flush=True)
        if not proc_nbs(root, force=not a.cached): return 1
        print(f"nbdev-proc-nbs: ok ({time.time()-t0:.0f}s)", flush=True)
    if not proc.is_dir(): sys.exit("check_docs: no _proc/ folder: run without --no-proc")
    t1 = time.time()
    rendered = render(proc, html_dir)
    print(f"nbconvert: {len(rendered)} page(s) rendered into {html_dir.relative_to(root)}/ ({time.time()-t1:.0f}s)")

    exempt = set(a.exempt.split())
    sources = {f.stem: f for f in sorted(nbs_path.glob("*.ipynb")) if f.name[0] not in "_."}
    pages = sorted(set(sources) | set(rendered))
    fails, rows = [], []
    for pg in pages:
        why = []
        err = rendered.get(pg, "not in _proc/")
        if err: why.append(f"not rendered ({err})")
        shown = with_out = None
        areas = output_areas(html_dir / f"{pg}.html")
        checked = bool(re.match(r"\d", pg)) and pg not in exempt
        if pg in sources: shown, with_out = showing_cells(sources[pg])
        else: why.append("no source notebook in nbs/ (stale _proc page?)")
        if checked and shown is not None:
            if not with_out: why.append(f"no stored output in its {shown} showing code cell(s): run tools/run_nbs.py")
            if not err and not areas: why.append("rendered page has no output areas")
        outs = "-" if shown is None else f"{with_out}/{shown}"
        rows.append((pg, "no" if err else "yes", outs, str(areas), "FAIL" if why else ("ok" if checked else "exempt")))
        if why: fails.append((pg, why))

    hdr = ("page", "rendered", "showing w/ out", "html outputs", "status")
    w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    for r in [hdr] + rows: print("  ".join(s.ljust(w[i]) if i == 0 else s.rjust(w[i]) for i, s in enumerate(r)))
    if a.screenshot: screenshot(a.screenshot, html_dir, a.screenshot_out)
    print(f"check_docs: {len(pages)} page(s), {time.time()-t0:.0f}s in all")
    if fails:
        sys.stderr.write(f"check_docs: {len(fails)} page(s) failed the docs check:\n")
        for pg, why in fails: sys.stderr.write(f"  {pg}: " + "; ".join(why) + "\n")
        return 1
    if lint_step(root): return 1
    print("check_docs: ok")
    return 0


# ---------------------------------------------------------------- 5. debris and disagreement
def lint_step(root: Path, update=False) -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from docs_lint import lint
    probs = lint(root)
    now = Counter(f"{f} | {k}" for f, k, _, _ in probs)
    bf = Path(__file__).parent / "docs_lint_baseline.json"
    base = json.loads(bf.read_text()) if bf.exists() else {}
    grew = {k: (base.get(k, 0), n) for k, n in now.items() if n > base.get(k, 0)}
    print(f"docs_lint: {sum(now.values())} known problem(s) left in {len(now)} (file, class) pair(s); baseline {sum(base.values())}")
    if grew and bf.exists():
        sys.stderr.write("docs_lint: new debris or disagreement on the docs site or in the README:\n")
        for k, (b, n) in sorted(grew.items()):
            f, cls = k.split(" | ")
            sys.stderr.write(f"  {k}: {n} (was {b})\n")
            for pf, pk, where, snip in probs:
                if pf == f and pk == cls: sys.stderr.write(f"      {where}: {snip[:160]}\n")
        return 1
    if update or not bf.exists():
        bf.write_text(json.dumps(dict(sorted(now.items())), indent=1) + "\n")
        print(f"docs_lint: baseline written ({sum(now.values())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
