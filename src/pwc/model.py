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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
import skops.io as sio
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import SGDRegressor
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from pwc import numerics
from pwc.config import TrainParams
from pwc.data.split import inclusion_weights, password_hash, training_rows
from pwc.errors import ModelError
from pwc.features import FEATURE_NAMES, HandFeatures, as_arrow
from pwc.io import write_bytes
from pwc.markov import MarkovScores
from pwc.ngrams import HashedNgrams
from pwc.ridge import LsqrRidge

log = logging.getLogger(__name__)

# Types a model file may contain beyond skops' defaults. Anything else refuses to load.
TRUSTED_TYPES = [
    "pwc.features.HandFeatures",
    "pwc.markov.MarkovScores",
    "pwc.ngrams.HashedNgrams",
    "pwc.model.Calibrated",
    "pwc.model.Stacked",
    "pwc.model.Tfidf",
    "pwc.model.CharCounts",
    "pwc.ridge.LsqrRidge",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "scipy.sparse._csr.csr_matrix",
    # the boosted trees' fitted nodes (plain arrays; skops' own loader for it)
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Bumped whenever a model file's layout or meaning changes. A file of another format could
# load and still compute garbage, so `load` refuses it.
MODEL_FORMAT = 3


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
        return self.calibrated(self.estimator_.predict(X))

    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        """The calibrated answer for raw predictions: what `predict` returns."""
        if self.calibrator_ is None:
            return raw
        return _isotonic(self.calibrator_, raw) + _TIE_BREAK * raw


class Stacked(RegressorMixin, BaseEstimator):
    """A linear model over every column, then (optionally) gradient-boosted trees over its
    score and the dense columns (hand + Markov features), which start at `dense_from`.

    The trees are fitted on rows the linear model never saw (`fit_booster`), so they learn how
    far to trust its score on new passwords rather than on memorised ones.
    """

    def __init__(self, linear=None, booster=None, dense_from: int = 0):
        self.linear = linear
        self.booster = booster
        self.dense_from = dense_from

    def fit(self, X, y):  # noqa: N803 - sklearn's signature
        self.linear_ = clone(self.linear).fit(X, y)
        self.booster_ = None
        return self

    def _stack(self, X):  # noqa: N803
        dense = X[:, self.dense_from :]
        dense = dense.toarray() if hasattr(dense, "toarray") else np.asarray(dense)
        return np.column_stack([self.linear_.predict(X), dense])

    def fit_booster(self, X, y, sample_weight=None):  # noqa: N803
        self.booster_ = clone(self.booster).fit(self._stack(X), y, sample_weight=sample_weight)
        # The binner records the OpenMP thread count it ran with: a fact about the machine
        # that trained, not about the model (the trees are the same for any count). Reset to
        # its default so the file is the same on every machine.
        self.booster_._bin_mapper.n_threads = None
        return self

    def predict(self, X):  # noqa: N803
        if self.booster_ is None:
            return self.linear_.predict(X)
        return self.booster_.predict(self._stack(X))

    def predict_blocks(self, sparse: sp.csr_matrix, dense: np.ndarray) -> np.ndarray:
        """`predict` of hstack([sparse, dense]) (dense from `dense_from`), computed without
        stacking them, and exactly equal (tested): the same float32 operations in the same
        order as scipy's CSR product on the stacked matrix."""
        coef = self.linear_.coef_
        sparse = sparse.copy()
        sparse.sum_duplicates()  # sorted columns, duplicates summed: what hstack produced
        score = sparse @ coef[: self.dense_from]
        for j in range(dense.shape[1]):  # scipy adds the row's columns left to right
            score += dense[:, j] * coef[self.dense_from + j]
        score = score + self.linear_.intercept_
        if self.booster_ is None:
            return score
        return _boosted(self.booster_, np.column_stack([score, dense]))


class CharCounts(CountVectorizer):
    """sklearn's CountVectorizer whose `max_features` cut breaks ties by the term.

    sklearn keeps the most frequent terms with an unstable argsort, and numpy's sort kernel
    (and so which of several equally frequent terms survive) depends on the CPU's SIMD.
    """

    def fit_transform(self, raw_documents, y=None):
        limit = self.max_features
        self.set_params(max_features=None)
        try:
            X = super().fit_transform(raw_documents)  # noqa: N806 - columns in term order
        finally:
            self.set_params(max_features=limit)
        if limit is not None and X.shape[1] > limit:
            counts = np.asarray(X.sum(axis=0)).ravel()
            keep = np.sort(np.argsort(-counts, kind="stable")[:limit])
            terms = self.get_feature_names_out()[keep]
            self.vocabulary_ = {str(term): i for i, term in enumerate(terms)}
            X = X[:, keep]  # noqa: N806
        return X

    def fit(self, raw_documents, y=None):
        self.fit_transform(raw_documents)
        return self


class Tfidf(TfidfTransformer):
    """sklearn's TfidfTransformer with its idf taken by pwc.numerics.log: sklearn's np.log
    runs CPU-specific SIMD code, and its last bit differed between machines."""

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        super().fit(X, y)
        if self.use_idf:
            df = np.bincount(sp.csr_matrix(X).indices, minlength=X.shape[1])  # sklearn's df
            smooth = int(self.smooth_idf)
            idf = numerics.log((X.shape[0] + smooth) / (df + smooth)) + 1.0
            self.idf_ = idf.astype(self.idf_.dtype)
        return self


# sklearn's predict for one password spent more time checking its input (4 x check_array)
# than computing: these do what the fitted estimators' predict/transform do, minus the
# checks, on inputs this module built itself. Tests compare them to sklearn's exactly.


def _scaled(scaler: StandardScaler, X: np.ndarray) -> np.ndarray:  # noqa: N803
    X = np.array(X, dtype=X.dtype if X.dtype.kind == "f" else np.float64)  # noqa: N806 - a copy
    if scaler.with_mean:
        X -= scaler.mean_.astype(X.dtype)
    if scaler.with_std:
        X /= scaler.scale_.astype(X.dtype)
    return X


def _boosted(booster: HistGradientBoostingRegressor, X: np.ndarray) -> np.ndarray:  # noqa: N803
    shape = (X.shape[0], booster.n_trees_per_iteration_)
    raw = np.zeros(shape, dtype=booster._baseline_prediction.dtype, order="F")
    raw += booster._baseline_prediction
    X = np.asarray(X, dtype=np.float64)  # noqa: N806 - the trees' dtype
    n_threads = _openmp_effective_n_threads()
    booster._predict_iterations(X, booster._predictors, raw, False, n_threads)
    return booster._loss.link.inverse(raw.ravel())


def _isotonic(iso: IsotonicRegression, raw: np.ndarray) -> np.ndarray:
    T = np.asarray(raw, dtype=iso.X_thresholds_.dtype).reshape(-1)  # noqa: N806
    if iso.out_of_bounds == "clip":
        T = np.clip(T, iso.X_min_, iso.X_max_)  # noqa: N806
    return iso.f_(T).astype(T.dtype)


def _inputs(model: Pipeline, passwords):
    """What the model's first step reads: Python strings for sklearn's CountVectorizer (the
    baseline), the Arrow array itself for our vectorised features (no per-password objects)."""
    arr = as_arrow(passwords)
    if "vectorize" in model.named_steps:
        return np.asarray(arr.to_pylist(), dtype=object)
    return arr


def build(params: TrainParams, seed: int) -> Pipeline:
    ngrams = (1, params.ngram_max)
    if params.model == "baseline":
        # The lecture's pipeline: char counts -> TF-IDF -> SGD.
        return Pipeline(
            [
                (
                    "vectorize",
                    CharCounts(
                        analyzer="char",
                        ngram_range=ngrams,
                        lowercase=False,
                        # skops stores the vocabulary entry by entry: keep it bounded
                        max_features=params.vocabulary_size,
                        dtype=np.float32,
                    ),
                ),
                ("tfidf", Tfidf()),
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
    ngram_features = HashedNgrams(params.ngram_max, params.hash_bits)
    dense = [("hand", HandFeatures())]
    if params.markov_order:
        # the first is the one predict_with_markov reads (log10 P for beyond-leak answers)
        for sampling in params.markov_samplings:
            markov = MarkovScores(params.markov_order, params.markov_bits)
            dense.append((f"markov_{sampling}", markov))
    hand = Pipeline([("extract", FeatureUnion(dense)), ("scale", StandardScaler())])
    linear = LsqrRidge(alpha=params.alpha, tol=1e-4)
    booster = None
    if params.booster_iter:
        booster = HistGradientBoostingRegressor(
            max_iter=params.booster_iter,
            learning_rate=params.booster_learning_rate,
            max_leaf_nodes=params.booster_leaves,
            early_stopping=False,  # no random validation split: the fit stays deterministic
            random_state=seed,
        )
    return Pipeline(
        [
            ("features", FeatureUnion([("ngrams", ngram_features), ("hand", hand)])),
            ("regress", Calibrated(Stacked(linear, booster, dense_from=1 << params.hash_bits))),
        ]
    )


@dataclass
class Rows:
    """Passwords with their target and optional weights (1 / chance of being drawn)."""

    passwords: pa.Array | pa.ChunkedArray
    target: np.ndarray
    weights: np.ndarray | None = None


def _timed(message: str, start: float, *args) -> None:
    log.info(message + " in %.1f s", *args, time.perf_counter() - start)


def fit(
    params: TrainParams,
    rows: Rows,
    seed: int,
    markov_rows=None,
    booster_rows: Rows | None = None,
) -> Pipeline:
    """Fit the features and the linear model on `rows`; count Markov n-grams on `markov_rows`
    ({sampling: passwords} for params.markov_samplings) and fit the boosted trees on
    `booster_rows` (each disjoint from `rows`); calibrate on the last rows fitted when they
    carry weights."""
    model = build(params, seed)
    linear_only = params.model == "baseline"
    if params.markov_order and not linear_only:
        if markov_rows is None:
            raise ValueError("markov_order > 0 needs markov_rows to count n-grams on")
        start = time.perf_counter()
        dense = model.named_steps["features"].transformer_list[1][1].named_steps["extract"]
        for sampling in params.markov_samplings:
            dict(dense.transformer_list)[f"markov_{sampling}"].fit_counts(markov_rows[sampling])
        _timed("Markov counts on %s x %s rows", start, len(markov_rows), f"{params.markov_rows:,}")
    y = np.asarray(rows.target, dtype=np.float64)
    start = time.perf_counter()
    features = model[:-1].fit_transform(_inputs(model, rows.passwords), y)
    _timed("features: %s x %s", start, f"{features.shape[0]:,}", f"{features.shape[1]:,}")
    start = time.perf_counter()
    model[-1].fit(features, y)
    _timed("linear model fitted", start)
    vectorizer = model.named_steps.get("vectorize")
    if vectorizer is not None:
        # numpy ints become one file each in skops (minutes for 50k entries); plain ints are JSON
        vectorizer.vocabulary_ = {k: int(v) for k, v in vectorizer.vocabulary_.items()}
    model.pwc_format_ = MODEL_FORMAT
    last = rows
    if params.booster_iter and not linear_only:
        if booster_rows is None:
            raise ValueError("booster_iter > 0 needs booster_rows to fit the trees on")
        start = time.perf_counter()
        del features  # the linear model's rows: not needed any more, and 0.5 GB or more
        features = model[:-1].transform(_inputs(model, booster_rows.passwords))
        y = np.asarray(booster_rows.target, dtype=np.float64)
        model[-1].estimator_.fit_booster(features, y)
        _timed("boosted trees fitted on %s rows", start, f"{y.size:,}")
        last = booster_rows
    if last.weights is not None:
        start = time.perf_counter()
        model[-1].calibrate(features, y, sample_weight=last.weights)
        _timed("calibrated", start)
    return model


def _draw(table: pa.Table, size: int | None, sampling: str, seed: int, weighted: bool) -> Rows:
    ranks = table["rank"].to_numpy()
    idx = training_rows(ranks, size, sampling, seed)
    picked = table.take(idx)
    weights = inclusion_weights(ranks, idx) if weighted else None
    return Rows(picked["password"], picked["target"].to_numpy(), weights)


@dataclass
class LearnerRows:
    """The rows each learner of the model fits on, from disjoint shares of the train split."""

    linear: Rows
    markov: dict[str, pa.Array] | None = None  # {sampling: passwords} for the Markov counts
    booster: Rows | None = None


def draw_rows(table: pa.Table, params: TrainParams, seed: int) -> LearnerRows:
    """Draw every learner's rows from a train split (password, rank, target).

    Each learner that needs its own rows (linear model, Markov counts, boosted trees) gets a
    disjoint share of the split, by a bit-mix of the password hash. With `params.calibrate`,
    rows carry weights 1 / (chance of being drawn), for the calibration that maps predictions
    back to the natural mix (fitted on the last learner's rows).
    """
    learners = ["linear"]
    if params.model != "baseline":
        learners += ["markov"] * bool(params.markov_order) + ["booster"] * bool(params.booster_iter)
    share = (password_hash(table["password"]) >> np.uint64(32)) % np.uint64(len(learners))
    part = {name: table.filter(pa.array(share == i)) for i, name in enumerate(learners)}
    drawn = LearnerRows(_draw(part["linear"], params.rows, params.sampling, seed, params.calibrate))
    if "markov" in part:
        drawn.markov = {
            sampling: _draw(
                part["markov"], params.markov_rows, sampling, seed + 1 + i, False
            ).passwords
            for i, sampling in enumerate(params.markov_samplings)
        }
    if "booster" in part:
        drawn.booster = _draw(
            part["booster"], params.booster_rows, params.sampling, seed + 2, params.calibrate
        )
    return drawn


def train(table: pa.Table, params: TrainParams, seed: int) -> Pipeline:
    """Draw the training rows from a train split (`draw_rows`) and fit on them."""
    rows = draw_rows(table, params, seed)
    log.info(
        "training %s on %s %s-sampled rows",
        params.model,
        f"{rows.linear.target.size:,}",
        params.sampling,
    )
    return fit(params, rows.linear, seed, rows.markov, rows.booster)


def predict(model: Pipeline, passwords) -> np.ndarray:
    """Predicted log10 guess rank per password."""
    return predict_with_markov(model, passwords)[0]


def _markov_column(model: Pipeline) -> tuple[int, float, float] | None:
    """(column, scale, mean) of the standardised Markov log10 P in the feature matrix."""
    if "features" not in model.named_steps:
        return None
    dense = model.named_steps["features"].transformer_list[1][1]
    parts = dict(dense.named_steps["extract"].transformer_list)
    markovs = [name for name in parts if name.startswith("markov")]
    if not markovs:
        return None
    scaler = dense.named_steps["scale"]
    i = len(FEATURE_NAMES)  # markov's first column (log10 P) follows the hand features
    return model[-1].estimator_.dense_from + i, float(scaler.scale_[i]), float(scaler.mean_[i])


def _transform(step, X):  # noqa: N803 - sklearn's naming
    """What `step.transform(X)` returns for fitted Pipelines and FeatureUnions (no weights, no
    set_output), without their per-call joblib and validation overhead. A test checks the
    result equals sklearn's exactly."""
    if isinstance(step, Pipeline):
        for _, inner in step.steps:
            X = _transform(inner, X)
        return X
    if isinstance(step, FeatureUnion):
        parts = [_transform(inner, X) for _, inner in step.transformer_list]
        if any(sp.issparse(part) for part in parts):
            return sp.hstack(parts).tocsr()
        return np.hstack(parts)
    if type(step) is StandardScaler and not sp.issparse(X):
        return _scaled(step, X)
    return step.transform(X)


def _stacked_blocks(model: Pipeline) -> tuple | None:
    """(n-gram step, dense step, Calibrated) when the model is ours: n-grams + dense columns
    into a Stacked model. Then predict skips building the stacked sparse matrix."""
    regress = model.steps[-1][1]
    if len(model.steps) != 2 or not isinstance(regress, Calibrated):
        return None
    union = model.steps[0][1]
    if not isinstance(union, FeatureUnion) or not isinstance(regress.estimator_, Stacked):
        return None
    if len(union.transformer_list) != 2:
        return None
    (_, ngrams), (_, dense) = union.transformer_list
    return ngrams, dense, regress


def predict_with_markov(model: Pipeline, passwords) -> tuple[np.ndarray, np.ndarray | None]:
    """(predicted log10 guess rank, Markov log10 P(password) or None), features built once."""
    docs = _inputs(model, passwords)
    if len(docs) == 0:
        return np.zeros(0), np.zeros(0)
    column = _markov_column(model)
    blocks = _stacked_blocks(model)
    if blocks is not None:
        ngrams, dense_step, regress = blocks
        dense = _transform(dense_step, docs)
        raw = regress.estimator_.predict_blocks(_transform(ngrams, docs), dense)
        pred = regress.calibrated(raw).astype(np.float64)
        if column is None:
            return pred, None
        index, scale, mean = column
        scaled = dense[:, index - regress.estimator_.dense_from]
        return pred, scaled.astype(np.float64) * scale + mean
    features = _transform(model[:-1], docs)
    pred = model[-1].predict(features).astype(np.float64)
    if column is None:
        return pred, None
    index, scale, mean = column
    scaled = features[:, index]
    scaled = scaled.toarray().ravel() if hasattr(scaled, "toarray") else np.ravel(scaled)
    return pred, scaled.astype(np.float64) * scale + mean


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
    found = getattr(model, "pwc_format_", None)
    if found != MODEL_FORMAT:
        raise ModelError(
            f"{path}: model format {found} but this code reads format {MODEL_FORMAT}: "
            "retrain (`dvc repro`) or run the release that wrote it"
        )
    return model
