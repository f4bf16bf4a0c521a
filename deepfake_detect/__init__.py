"""Tell tweets written by people from tweets written by machines.

The names a user needs, from the package root: `deepfake_detect.run()` does the whole job (data, training,
evaluation, report); the parts: `from deepfake_detect import load_tweepfake, TrainConfig, train,
evaluate, Detector`. (Written by hand, not exported: nbdev keeps `__version__` here.) `ZeroShotScorer` is
imported on first use, since its module loads torch."""
__version__ = "0.1.0"

from .core import DetectError
from .tweets import load_built, load_extra, normalise_text, write_tweets
from .data import data_report, download_tweepfake, load_tweepfake, make_fixture
from .metrics import score_predictions
from .train import TrainConfig, train
from .evaluate import evaluate
from .predict import Detector
from .ensemble import ensemble
from .bulk import predict_file
from .analysis import by_generator, by_length, confident_mistakes, load_predictions
from .generate import generate_tweets
from .archive import import_archive
from .dataset import build_dataset
from .workflow import run

_LAZY = {"ZeroShotScorer": "zeroshot"}

def __getattr__(name):
    "Import the heavier names (`ZeroShotScorer`) on first use."
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["run", "DetectError", "load_tweepfake", "download_tweepfake", "make_fixture", "data_report", "load_extra",
           "load_built", "normalise_text", "write_tweets", "score_predictions", "TrainConfig", "train", "evaluate",
           "Detector", "ensemble", "predict_file", "load_predictions", "confident_mistakes", "by_generator", "by_length", "generate_tweets",
           "import_archive", "build_dataset", "ZeroShotScorer"]
