"""The model: one sklearn Pipeline (features + estimator) built, trained, saved and loaded.

The saved file is the whole Pipeline, so batch predict, the API and the CLI run exactly the
feature code training ran. One home per job:

- `estimators`: the estimator classes and `build` (the Pipeline for params.yaml's `train`)
- `train`: each learner's rows drawn from the train split, then `fit`
- `infer`: `predict` / `predict_with_markov` through the fast path
- `fast_predict`: sklearn's arithmetic without its checks; every private sklearn member
- `file`: the skops file (trusted types, canonical bytes, format stamp), `save` / `load`
"""

from pwc.model.estimators import Calibrated, CharCounts, Stacked, Tfidf, build
from pwc.model.file import MODEL_FORMAT, TRUSTED_TYPES, load, save, to_bytes
from pwc.model.infer import predict, predict_with_markov
from pwc.model.train import LearnerRows, Rows, draw_rows, fit, train, train_columns

__all__ = [
    "MODEL_FORMAT",
    "TRUSTED_TYPES",
    "Calibrated",
    "CharCounts",
    "LearnerRows",
    "Rows",
    "Stacked",
    "Tfidf",
    "build",
    "draw_rows",
    "fit",
    "load",
    "predict",
    "predict_with_markov",
    "save",
    "to_bytes",
    "train",
    "train_columns",
]
