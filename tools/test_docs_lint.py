"""Each class of docs debris and disagreement that `tools/docs_lint.py` must catch, planted and caught.

Collected by `make test` (pytest) beside the notebooks."""
import json, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from docs_lint import lint, output_debris, sidebar_gaps, training_times, two_recipes, unknown_accuracies  # noqa: E402


def _nb(*outputs, md=""):
    cells = [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": [md]}] if md else []
    cells.append({"cell_type": "code", "id": "c", "metadata": {}, "execution_count": None, "source": ["x"],
                  "outputs": list(outputs)})
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _stream(text, name="stdout"): return {"output_type": "stream", "name": name, "text": [text]}
def _plain(text): return {"output_type": "execute_result", "data": {"text/plain": [text]}, "metadata": {}, "execution_count": 1}


def _classes(nb): return {k for k, _, _ in output_debris(nb)}


def test_clean_output_passes():
    assert _classes(_nb(_stream("validation accuracy 0.8432 on …/fixture/train.csv\n"))) == set()


def test_machine_path():
    assert _classes(_nb(_stream("wrote /tmp/tmpab12cd/run/eval.json\n"))) == {"machine path"}
    assert _classes(_nb(_plain("PosixPath('/work/main/runs/tfidf')"))) == {"machine path"}
    assert _classes(_nb(_stream("see /home/alice/data\n"))) == {"machine path"}


def test_progress_debris():
    assert "progress debris" in _classes(_nb(_stream("Loading weights:  45%|████▌     | 9/20 [00:01<00:02, 5.1it/s]\n", "stderr")))
    assert "progress debris" in _classes(_nb(_stream("step 1\rstep 2\rstep 3\n", "stderr")))


def test_library_warning():
    assert _classes(_nb(_stream("/x/data.py:121: UserWarning: dropped 1 row\n", "stderr"))) >= {"library warning"}
    assert _classes(_nb(_stream("FutureWarning: `foo` is deprecated\n", "stderr"))) == {"library warning"}


def test_hidden_cells_are_not_read():
    nb = _nb(_stream("SKIPPED: no GPU\n"))
    nb["cells"][-1]["source"] = ["#| hide\n", "x"]
    assert _classes(nb) == set()


def test_leftover_and_cut():
    assert _classes(_nb(_stream("SKIPPED: the shared folder is not available\n"))) == {"leftover"}
    assert _classes(_nb(_plain("   a  ...  z\n0  1  ...  2\n\n[8 rows x 7 columns]"))) == {"cut text"}
    assert _classes(_nb(_stream("## Report\nThe detector reached 0.84 on valid…\n"))) == {"cut text"}


def test_unknown_accuracy():
    known = {"0.8432", "0.843", "0.84"}
    assert unknown_accuracies("validation accuracy 0.8432", known) == []
    assert unknown_accuracies("validation accuracy 0.8397 (C=4)", known) == ["0.8397"]
    assert unknown_accuracies("| tfidf | 0.8432 | 0.7659 |", known) == ["0.7659"]
    assert unknown_accuracies("a p_bot of 0.504 from a random model", known) == []


def test_two_recipes():
    t = training_times("MPNet: `--model mpnet` takes 85 min on one core\nmpnet (about 0.90, ~1.5 h)\n"
                       "the mpnet run, ~4 h per epoch\nminilm ~35 min; later minilm 35 minutes")
    assert two_recipes(t) == ["mpnet: 85 min, 90 min, 240 min"]


def test_lint_on_a_project(tmp_path):
    (tmp_path/"nbs").mkdir(); (tmp_path/"results").mkdir()
    (tmp_path/"results"/"r.json").write_text(json.dumps([{"detector": "tfidf", "accuracy": 0.8431798}]))
    (tmp_path/"nbs"/"01_a.ipynb").write_text(json.dumps(_nb(_stream("ok\n"), md="tfidf: accuracy 0.8432, in ~1 min")))
    (tmp_path/"README.md").write_text("| tfidf | 0.8432 |\n")
    assert lint(tmp_path) == []
    (tmp_path/"nbs"/"02_b.ipynb").write_text(json.dumps(_nb(_stream("wrote /tmp/x1/y\n"), md="tfidf accuracy 0.8397, ~30 min")))
    got = {(f, k) for f, k, _, _ in lint(tmp_path)}
    assert got == {("02_b.ipynb", "machine path"), ("02_b.ipynb", "unknown accuracy"), ("pages + README", "two recipes")}


def test_sidebar(tmp_path):
    nbs = tmp_path/"nbs"; nbs.mkdir()
    for n in ("index.ipynb", "01_a.ipynb", "02_b.ipynb"): (nbs/n).write_text(json.dumps(_nb(_stream("ok\n"))))
    assert sidebar_gaps(nbs) == []                      # no sidebar.yml: nbdev makes one
    (nbs/"sidebar.yml").write_text("website:\n  sidebar:\n    contents:\n      - index.ipynb\n      - section: A\n"
                                   "        contents:\n          - 01_a.ipynb\n          - 03_gone.ipynb\n")
    assert sidebar_gaps(nbs) == [("02_b.ipynb", "not in sidebar.yml"), ("03_gone.ipynb", "listed, no such page")]
    assert ("nbs/sidebar.yml", "sidebar", "02_b.ipynb", "not in sidebar.yml") in lint(tmp_path)
