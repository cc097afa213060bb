"""The model: one sklearn Pipeline (features + estimator) built, trained, saved and loaded.

The saved file is the whole Pipeline, so batch predict, the API and the CLI run exactly the
feature code training ran. One home per job:

- `learners`: the learner registry, one table: each learner `train.model` can name, with
  how to build and fit it, the rows it draws, the types its file may hold, the params it reads
- `ngram_ridge`, `baseline`: the learners (each a row of `learners.LEARNERS`)
- `estimators`: the estimators they share (`Calibrated`, `Stacked`)
- `ridge`: `LsqrRidge`, Ridge regression solved by LSQR with machine-independent sums
- `train`: each learner's rows drawn from the train split, then `fit` through the registry
- `chunks`: features a chunk of rows at a time (the same matrices as one call)
- `infer`: `predict` / `predict_with_markov` through the fast path
- `fast_predict`: sklearn's arithmetic without its checks; every private sklearn member
- `file`: the skops file (trusted types, canonical bytes, format stamp), `save` / `load`
"""

from pwc.model.baseline import CharCounts, Tfidf  # files name them pwc.model.<Class>
from pwc.model.estimators import Calibrated, Stacked
from pwc.model.file import MODEL_FORMAT, load, save, to_bytes
from pwc.model.infer import predict, predict_with_markov
from pwc.model.learners import LEARNERS, Learner, register, trusted_types
from pwc.model.ridge import LsqrRidge
from pwc.model.train import LearnerRows, Rows, build, draw_rows, fit, train, train_columns

__all__ = [
    "LEARNERS",
    "MODEL_FORMAT",
    "Calibrated",
    "CharCounts",
    "Learner",
    "LearnerRows",
    "LsqrRidge",
    "Rows",
    "Stacked",
    "Tfidf",
    "build",
    "draw_rows",
    "fit",
    "load",
    "predict",
    "predict_with_markov",
    "register",
    "save",
    "to_bytes",
    "train",
    "train_columns",
    "trusted_types",
]
