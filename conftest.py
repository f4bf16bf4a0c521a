"""Collect every notebook in `nbs/` as one pytest item, run by nbdev's own `test_nb`.

`test_nb` honours `tst_flags` from pyproject.toml (cells flagged `notest`, `slow` or `gpu` are
skipped); set `NBDEV_FLAGS="slow gpu"` to run flagged cells as well.

Two courtesies: the checks a notebook skips (the lines it prints with `testing.skip_note`, "SKIPPED: ...") are
listed in the summary, and every temporary folder the notebooks make goes into one per-session folder
(`TMPDIR`), removed at the end.
"""
import io, os, shutil, sys, tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent
_SKIPPED = []      # (notebook, "SKIPPED: ..." line)
_TMP = {}


def pytest_configure(config):
    d = tempfile.mkdtemp(prefix="deepfake-detect-tests-")
    _TMP.update(dir=d, env=os.environ.get("TMPDIR"), cached=tempfile.tempdir)
    os.environ["TMPDIR"] = tempfile.tempdir = d   # in-process notebooks and their subprocesses alike


def pytest_unconfigure(config):
    if "dir" not in _TMP: return
    shutil.rmtree(_TMP["dir"], ignore_errors=True)
    if _TMP["env"] is None: os.environ.pop("TMPDIR", None)
    else: os.environ["TMPDIR"] = _TMP["env"]
    tempfile.tempdir = _TMP["cached"]


def pytest_terminal_summary(terminalreporter):
    if not _SKIPPED: return
    terminalreporter.section("checks the notebooks skipped")
    for nb, line in _SKIPPED: terminalreporter.write_line(f"{nb}: {line}")


def _skip_lines(nb):
    "The 'SKIPPED: ...' lines the executed notebook `nb` printed."
    for c in nb.cells:
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream":
                text = o.get("text", "")
                for line in (text if isinstance(text, str) else "".join(text)).splitlines():
                    if line.startswith("SKIPPED:"): yield line


def pytest_collect_file(parent, file_path):
    p = Path(file_path)
    if p.suffix == ".ipynb" and p.parent == ROOT / "nbs" and not p.name.startswith(("_", ".")):
        return NotebookFile.from_parent(parent, path=p)


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name=self.path.name)


class NotebookFailed(Exception):
    pass


class NotebookItem(pytest.Item):
    def runtest(self):
        import nbdev.test as nt
        from nbdev.config import get_config
        from nbdev.test import test_nb

        seen = []
        class Keep(nt.NBProcessor):   # test_nb fills the outputs of the notebook it processed: keep hold of it
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                seen.append(self.nb)

        cfg = get_config(ROOT)
        skip = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags)
        force = os.environ.get("NBDEV_FLAGS", "").split()
        err, old = io.StringIO(), sys.__stderr__
        sys.__stderr__ = err  # test_nb writes the notebook's traceback there
        nt.NBProcessor, orig = Keep, nt.NBProcessor
        try:
            ok, secs = test_nb(self.path, skip_flags=skip, force_flags=force, basepath=cfg.config_path)
        finally:
            sys.__stderr__, nt.NBProcessor = old, orig
        _SKIPPED.extend((self.path.name, l) for nb in seen[:1] for l in _skip_lines(nb))
        self.user_properties.append(("seconds", round(secs, 1)))
        if not ok:
            raise NotebookFailed(err.getvalue() or f"{self.path.name} failed")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, NotebookFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"notebook {self.path.name}"
