"""Collect every notebook in `nbs/` as one pytest item, run by nbdev's own `test_nb`.

`test_nb` honours `tst_flags` from pyproject.toml (cells flagged `notest`, `slow` or `gpu` are
skipped); set `NBDEV_FLAGS="slow gpu"` to run flagged cells as well.
"""
import io, os, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent


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
        from nbdev.config import get_config
        from nbdev.test import test_nb

        cfg = get_config(ROOT)
        skip = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags)
        force = os.environ.get("NBDEV_FLAGS", "").split()
        err, old = io.StringIO(), sys.__stderr__
        sys.__stderr__ = err  # test_nb writes the notebook's traceback there
        try:
            ok, secs = test_nb(self.path, skip_flags=skip, force_flags=force, basepath=cfg.config_path)
        finally:
            sys.__stderr__ = old
        self.user_properties.append(("seconds", round(secs, 1)))
        if not ok:
            raise NotebookFailed(err.getvalue() or f"{self.path.name} failed")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, NotebookFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"notebook {self.path.name}"
