"""The model: build one sklearn Pipeline (features + estimator), fit, save, load.

The saved file is the whole Pipeline, so batch predict, the API and the CLI run exactly the
feature code training ran. Files are skops, loaded with an explicit list of trusted types
(nothing in the file is executed), and written byte-identically (fixed zip timestamps).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import skops.io as sio
from sklearn.feature_extraction.text import (
    CountVectorizer,
    HashingVectorizer,
    TfidfTransformer,
)
from sklearn.linear_model import Ridge, SGDRegressor
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from pwc.config import TrainParams
from pwc.errors import ModelError
from pwc.features import HandFeatures, as_arrow
from pwc.io import write_bytes

# Types a model file may contain beyond skops' defaults. Anything else refuses to load.
TRUSTED_TYPES = [
    "pwc.features.HandFeatures",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "scipy.sparse._csr.csr_matrix",
]
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


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
                        max_features=2**params.hash_bits,
                        dtype=np.float32,
                    ),
                ),
                ("tfidf", TfidfTransformer()),
                (
                    "regress",
                    SGDRegressor(
                        alpha=params.sgd_alpha,
                        max_iter=params.sgd_max_iter,
                        tol=None,
                        random_state=seed,
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
            ("regress", Ridge(alpha=params.alpha, solver="sparse_cg", tol=1e-4)),
        ]
    )


def fit(params: TrainParams, passwords, target: np.ndarray, seed: int) -> Pipeline:
    model = build(params, seed)
    model.fit(_as_docs(passwords), np.asarray(target, dtype=np.float64))
    return model


def predict(model: Pipeline, passwords) -> np.ndarray:
    """Predicted log10 guess rank per password."""
    docs = _as_docs(passwords)
    if docs.size == 0:
        return np.zeros(0)
    return model.predict(docs).astype(np.float64)


def to_bytes(model: Pipeline) -> bytes:
    """skops bytes with every zip entry stamped 1980-01-01, so equal models give equal files."""
    raw = sio.dumps(model)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
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
