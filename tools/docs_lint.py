"""What a reader of the docs site and the README must never see, found in the stored outputs and the prose.

`tools/check_docs.py` runs these checks on every notebook in `nbs/` and on `README.md`; `tools/test_docs_lint.py`
plants each class of problem and checks it is caught. The classes:

- **machine path**: an absolute path of the machine a notebook ran on (`/tmp/...`, `/work/...`, `/home/...`,
  `/root/...`, `/Users/...`) in a stored output. `tools/run_nbs.py` already writes temp folders as `…/`.
- **progress debris**: a progress bar or its `\\r` redraws (`45%|████`, `it/s]`) in a stored output.
- **library warning**: a `UserWarning:`, `FutureWarning:`, `DeprecationWarning:` (...) line in a stored output.
Cells the page does not show (`#| hide`, `#| include: false`, `#| output: false`) are not read.

- **leftover**: a `SKIPPED:` line (a check that did not run where the docs were made), or a stray output that is
  only a number or `None` after a cell that ends in an assignment-free call (kept simple: a bare integer output
  of a cell whose source ends with `test_...` or `assert`).
- **cut text**: a table pandas elided (`...` columns, `[N rows x M columns]`), or a text output that stops
  mid-word with `…` added by a `[:N]` cut.
- **unknown accuracy**: an accuracy (a number 0.xxx or 0.xxxx on a line that speaks of accuracy, or in a README
  or page results table) that no `results/*.json` holds (rounded to the digits written).
- **sidebar**: a page in `nbs/` that `nbs/sidebar.yml` does not list (readers cannot reach it), or a listed page that
  is not there (when the project has a `sidebar.yml`; nbdev's own sidebar tool once rewrote it with three pages).
- **two recipes**: one preset (minilm, mpnet, tfidf, openelm-270m, ...) given two different training times
  (minutes or hours that differ by more than a quarter) across the pages and the README.
"""
import json, re
from pathlib import Path

_PATH = re.compile(r"(?<![\w…./-])/(?:tmp|work|home|root|Users|var/folders|private/var)/[\w.-]+")
_BAR = re.compile(r"\d+%\|[#█▏▎▍▌▋▊▉ ]*\||\bit/s\]|s/it\]|\r(?!\n)")
_WARN = re.compile(r"\b\w*Warning:")
_SKIP = re.compile(r"^SKIPPED:", re.M)
_CUT = re.compile(r"\[\d+ rows x \d+ columns\]|^\s*\.\.\.\s*$|[A-Za-z]{3,}…\s*$", re.M)
_ACC = re.compile(r"(?<![\d.])0\.\d{3,4}(?!\d)")
_PRESETS = ("openelm-270m", "openelm-450m", "minilm", "mpnet", "roberta-base", "smollm2-135m", "tfidf")
_TIME = re.compile(r"(?:~|about |≈)?(\d+(?:\.\d+)?)\s*(min(?:utes?)?|h(?:ours?)?)\b")


def _text(o) -> str:
    "All the text of one stored output that a page shows (the plain text only when there is no HTML or Markdown)."
    parts, data = [], o.get("data", {})
    if "text" in o: parts.append(o["text"])
    shown = [k for k in ("text/html", "text/markdown") if k in data] or (["text/plain"] if "text/plain" in data else [])
    for k in shown: parts.append(data[k])
    return "\n".join("".join(p) if isinstance(p, list) else p for p in parts)


def output_debris(nb: dict) -> list:
    "(class, cell index, snippet) for each problem in the stored outputs of notebook `nb` (its JSON)."
    out = []
    for i, c in enumerate(nb.get("cells", [])):
        src = "".join(c.get("source", []))
        if re.search(r"^#\|\s*(hide|include:\s*false|output:\s*false)\s*$", src, re.M): continue   # not on the page
        for o in c.get("outputs", []):
            t = _text(o)
            for name, rx in (("machine path", _PATH), ("progress debris", _BAR), ("library warning", _WARN),
                             ("leftover", _SKIP), ("cut text", _CUT)):
                m = rx.search(t)
                if m: out.append((name, i, t[max(0, m.start() - 30):m.end() + 30].replace("\n", " ")))
    return out


def result_numbers(results: Path) -> set:
    "Every number in `results/**/*.json` (and the published figures `evaluate.PUBLISHED*` cite), rounded to 2, 3 and 4 digits."
    nums = set()
    def walk(v):
        if isinstance(v, bool): return
        if isinstance(v, (int, float)):
            for d in (2, 3, 4): nums.add(f"{v:.{d}f}")
        elif isinstance(v, str): [walk(float(x)) for x in _ACC.findall(v)]   # "0.554 → 0.488" in a recorded table
        elif isinstance(v, dict): [walk(x) for x in v.values()]
        elif isinstance(v, list): [walk(x) for x in v]
    for f in sorted(Path(results).rglob("*.json")): walk(json.loads(f.read_text()))
    try:                                # the published figures the pages compare with: cited once, in evaluate
        from deepfake_detect.evaluate import PUBLISHED, PUBLISHED_ROBERTA
        walk(PUBLISHED); walk(PUBLISHED_ROBERTA)
    except ImportError: pass
    return nums


def _accuracy_lines(text: str):
    "Lines that state accuracies: they speak of accuracy, or are rows of a results table."
    for line in text.splitlines():
        if re.search(r"accura", line, re.I) or (line.lstrip().startswith("|") and _ACC.search(line)):
            yield line


def unknown_accuracies(text: str, known: set) -> list:
    "Accuracies in `text` (prose, tables) that no results file holds."
    return sorted({n for line in _accuracy_lines(text) for n in _ACC.findall(line) if n not in known})


def _minutes(v: str, unit: str) -> float: return float(v) * (60 if unit.startswith("h") else 1)


def training_times(text: str) -> dict:
    "preset -> {minutes} of the training times stated beside it (same line, preset named before the time)."
    found = {}
    for line in text.splitlines():
        low = line.lower()
        for p in _PRESETS:
            for m in re.finditer(re.escape(p) + r"\b", low):
                t = _TIME.search(low, m.end(), m.end() + 80)
                if t and not re.search(r"per (tweet|step|batch)", low[t.end():t.end() + 12]):
                    found.setdefault(p, set()).add(_minutes(*t.groups()))
    return found


def two_recipes(times: dict) -> list:
    "Presets whose stated training times differ by more than a quarter."
    return sorted(f"{p}: {', '.join(f'{m:g} min' for m in sorted(ms))}" for p, ms in times.items()
                  if len(ms) > 1 and max(ms) > 1.25 * min(ms))


def markdown_of(nb: dict) -> str:
    "The prose of notebook `nb`: its markdown cells and the markdown it displays."
    parts = ["".join(c["source"]) for c in nb.get("cells", []) if c["cell_type"] == "markdown"]
    for c in nb.get("cells", []):
        for o in c.get("outputs", []):
            md = o.get("data", {}).get("text/markdown")
            if md: parts.append("".join(md) if isinstance(md, list) else md)
    return "\n".join(parts)


def sidebar_gaps(nbs: Path) -> list:
    "(page, what is wrong) for the pages of `nbs` the sidebar leaves out and the sidebar's entries with no page."
    side = nbs / "sidebar.yml"
    if not side.exists(): return []
    listed = set(re.findall(r"^\s*-\s*([\w./-]+\.(?:ipynb|qmd|md))\s*$", side.read_text(encoding="utf-8"), re.M))
    pages = {f.name for f in nbs.glob("*.ipynb") if f.name[0] not in "_."}
    return [(p, "not in sidebar.yml") for p in sorted(pages - listed)] + [(p, "listed, no such page") for p in sorted(listed - pages)]


def lint(root: Path) -> list:
    "Every problem in `root`'s notebooks (stored outputs, prose) and README: (file, class, where, snippet)."
    root = Path(root)
    known, probs, times = result_numbers(root / "results"), [], {}
    docs = {f.name: json.loads(f.read_text(encoding="utf-8")) for f in sorted((root / "nbs").glob("*.ipynb"))
            if f.name[0] not in "_."}
    for name, nb in docs.items():
        probs += [(name, k, f"cell {i}", s) for k, i, s in output_debris(nb)]
        prose = markdown_of(nb)
        probs += [(name, "unknown accuracy", "prose", n) for n in unknown_accuracies(prose, known)]
        for p, ms in training_times(prose).items(): times.setdefault(p, set()).update(ms)
    readme = (root / "README.md").read_text(encoding="utf-8") if (root / "README.md").exists() else ""
    probs += [("README.md", "unknown accuracy", "text", n) for n in unknown_accuracies(readme, known)]
    for p, ms in training_times(readme).items(): times.setdefault(p, set()).update(ms)
    probs += [("pages + README", "two recipes", "training time", s) for s in two_recipes(times)]
    probs += [("nbs/sidebar.yml", "sidebar", p, why) for p, why in sidebar_gaps(root / "nbs")]
    return probs


if __name__ == "__main__":
    import sys
    ps = lint(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
    for p in ps: print(" | ".join(map(str, p))[:220])
    print(f"{len(ps)} problem(s)")
