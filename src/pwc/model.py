"""The model: build one sklearn Pipeline (features + estimator), fit, save, load.

The saved file is the whole Pipeline, so batch predict, the API and the CLI run exactly the
feature code training ran. Files are skops, loaded with an explicit list of trusted types
(nothing in the file is executed), and written byte-identically (fixed zip timestamps).
"""

from __future__ import annotations

import io
import json
import logging
import time
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import skops.io as sio
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.feature_extraction.text import (
    CountVectorizer,
    HashingVectorizer,
    TfidfTransformer,
)
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import Ridge, SGDRegressor
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from pwc.config import TrainParams
from pwc.data.split import inclusion_weights, training_rows
from pwc.errors import ModelError
from pwc.features import HandFeatures, as_arrow
from pwc.io import write_bytes

log = logging.getLogger(__name__)

# Types a model file may contain beyond skops' defaults. Anything else refuses to load.
TRUSTED_TYPES = [
    "pwc.features.HandFeatures",
    "pwc.model.Calibrated",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "scipy.sparse._csr.csr_matrix",
]
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


# Isotonic maps have flat steps; a tiny share of the raw score keeps the order strict.
_TIE_BREAK = 1e-6


class Calibrated(RegressorMixin, BaseEstimator):
    """A regressor followed by a monotone map back to the natural mix.

    Training rows are drawn toward the head (log-rank sampling ranks the head better), which
    shifts raw predictions low. An isotonic map, fitted on the training rows weighted by the
    inverse of their chance of being drawn, restores the natural scale (RMSE) without changing
    the order (Spearman, AUC); the head keeps its own points, so `123456` stays near rank 1.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):  # noqa: N803 - sklearn's signature
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.calibrator_ = None
        return self

    def calibrate(self, X, y, sample_weight=None):  # noqa: N803
        raw = self.estimator_.predict(X)
        iso = IsotonicRegression(out_of_bounds="clip")
        self.calibrator_ = iso.fit(raw, y, sample_weight=sample_weight)
        return self

    def predict(self, X):  # noqa: N803
        raw = self.estimator_.predict(X)
        if self.calibrator_ is None:
            return raw
        return self.calibrator_.predict(raw) + _TIE_BREAK * raw


def _as_docs(X) -> np.ndarray:  # noqa: N803
    """sklearn's text vectorizers iterate Python strings."""
    return np.asarray(as_arrow(X).to_pylist(), dtype=object)


def build(params: TrainParams, seed: int) -> Pipeline:
    ngrams = (1, params.ngram_max)
    if params.model == "baseline":
        # The lecture's pipeline: char counts -> TF-IDF -> SGD.
        return Pipeline(
            [
                (
                    "vectorize",
                    CountVectorizer(
                        analyzer="char",
                        ngram_range=ngrams,
                        lowercase=False,
                        # skops stores the vocabulary entry by entry: keep it bounded
                        max_features=params.vocabulary_size,
                        dtype=np.float32,
                    ),
                ),
                ("tfidf", TfidfTransformer()),
                (
                    "regress",
                    Calibrated(
                        SGDRegressor(
                            alpha=params.sgd_alpha,
                            max_iter=params.sgd_max_iter,
                            tol=None,
                            random_state=seed,
                        )
                    ),
                ),
            ]
        )
    ngram_features = Pipeline(
        [
            (
                "hash",
                HashingVectorizer(
                    analyzer="char",
                    ngram_range=ngrams,
                    lowercase=False,
                    n_features=2**params.hash_bits,
                    alternate_sign=False,
                    norm=None,
                    dtype=np.float32,
                ),
            ),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ]
    )
    hand = Pipeline([("extract", HandFeatures()), ("scale", StandardScaler())])
    return Pipeline(
        [
            ("features", FeatureUnion([("ngrams", ngram_features), ("hand", hand)])),
            ("regress", Calibrated(Ridge(alpha=params.alpha, solver="lsqr", tol=1e-4))),
        ]
    )


def fit(
    params: TrainParams,
    passwords,
    target: np.ndarray,
    seed: int,
    weights: np.ndarray | None = None,
) -> Pipeline:
    """Fit on (passwords, target); with `weights` (inverse draw probabilities), calibrate too."""
    model = build(params, seed)
    y = np.asarray(target, dtype=np.float64)
    start = time.perf_counter()
    features = model[:-1].fit_transform(_as_docs(passwords), y)
    log.info(
        "features: %s x %s in %.1f s",
        f"{features.shape[0]:,}",
        f"{features.shape[1]:,}",
        time.perf_counter() - start,
    )
    start = time.perf_counter()
    model[-1].fit(features, y)
    log.info("%s fitted in %.1f s", type(model[-1].estimator).__name__, time.perf_counter() - start)
    vectorizer = model.named_steps.get("vectorize")
    if vectorizer is not None:
        # numpy ints become one file each in skops (minutes for 50k entries); plain ints are JSON
        vectorizer.vocabulary_ = {k: int(v) for k, v in vectorizer.vocabulary_.items()}
    if weights is not None:
        start = time.perf_counter()
        model[-1].calibrate(features, y, sample_weight=weights)
        log.info("calibrated in %.1f s", time.perf_counter() - start)
    return model


def train(table: pa.Table, params: TrainParams, seed: int) -> Pipeline:
    """Draw the training rows from a train split (password, rank, target) and fit on them.

    With `params.calibrate`, the rows are weighted by 1 / (chance of being drawn) for the
    calibration, which maps predictions back to the natural mix.
    """
    ranks = table["rank"].to_numpy()
    idx = training_rows(ranks, params.rows, params.sampling, seed)
    rows = table.take(idx)
    weights = inclusion_weights(ranks, idx) if params.calibrate else None
    log.info("training %s on %s %s-sampled rows", params.model, f"{idx.size:,}", params.sampling)
    return fit(params, rows["password"], rows["target"].to_numpy(), seed, weights)


def predict(model: Pipeline, passwords) -> np.ndarray:
    """Predicted log10 guess rank per password."""
    docs = _as_docs(passwords)
    if docs.size == 0:
        return np.zeros(0)
    return model.predict(docs).astype(np.float64)


def _canonical_schema(schema: dict) -> tuple[dict, dict[str, str]]:
    """Replace skops' memory-address ids and file names by first-appearance counters."""
    ids: dict[int, int] = {}
    files: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    out[key] = ids.setdefault(value, len(ids) + 1)
                elif key == "file" and isinstance(value, str):
                    suffix = Path(value).suffix
                    out[key] = files.setdefault(value, f"{len(files)}{suffix}")
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema), files


def to_bytes(model: Pipeline) -> bytes:
    """skops bytes that depend only on the model: equal models give equal files.

    skops names array files and object references by memory address and stamps zip entries
    with the current time; both are rewritten to counters and 1980-01-01.
    """
    raw = sio.dumps(model)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        schema, files = _canonical_schema(json.loads(src.read("schema.json")))
        members = {"schema.json": json.dumps(schema, indent=2).encode("utf-8")}
        for old, new in files.items():
            members[new] = src.read(old)
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, members[name])
    return out.getvalue()


def save(model: Pipeline, path: str | Path) -> None:
    write_bytes(path, to_bytes(model))


def load(path: str | Path) -> Pipeline:
    """Load a model file without executing code from it; refuse anything unexpected."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found (run `dvc repro` or `dvc pull`)") from None
    try:
        untrusted = set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES)
        if untrusted:
            raise ModelError(f"{path}: refusing to load untrusted types {sorted(untrusted)}")
        model = sio.loads(data, trusted=TRUSTED_TYPES)
    except ModelError:
        raise
    except Exception as exc:  # a corrupt zip or a file from another version
        raise ModelError(f"{path}: not a loadable model file ({type(exc).__name__})") from None
    if not isinstance(model, Pipeline):
        raise ModelError(f"{path}: expected an sklearn Pipeline, found {type(model).__name__}")
    return model
