"""pwc.model.ridge.LsqrRidge: sklearn's Ridge(solver="lsqr") problem, solved without BLAS sums."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Ridge

from pwc.model import ridge
from pwc.model.ridge import LsqrRidge


def problem(seed: int = 0, n: int = 3000, d: int = 400):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.05, random_state=seed, format="csr", dtype=np.float32)  # noqa: N806
    X.data += 0.5  # noqa: N806 - columns with non-zero means, so the centring matters
    w = rng.normal(size=d)
    y = X @ w + 3.0 + rng.normal(scale=0.1, size=n)
    return X, y


def test_solves_the_ridge_problem_sklearn_solves():
    X, y = problem()  # noqa: N806
    ours = LsqrRidge(alpha=2.0, tol=1e-10).fit(X, y)
    exact = Ridge(alpha=2.0, solver="cholesky").fit(X.toarray().astype(np.float64), y)
    assert np.allclose(ours.coef_, exact.coef_, rtol=1e-4, atol=1e-5)
    assert ours.intercept_ == pytest.approx(exact.intercept_, abs=1e-4)
    assert ours.coef_.dtype == np.float32  # X's dtype, as sklearn's Ridge keeps it


def test_stops_like_sklearn_lsqr_at_the_same_tolerance():
    X, y = problem(1)  # noqa: N806
    ours = LsqrRidge(alpha=3.0, tol=1e-4).fit(X, y)
    theirs = Ridge(alpha=3.0, solver="lsqr", tol=1e-4).fit(X, y)
    assert abs(ours.n_iter_ - int(theirs.n_iter_[0])) <= 2
    pred_ours, pred_theirs = ours.predict(X), theirs.predict(X)
    assert np.corrcoef(pred_ours, pred_theirs)[0, 1] > 0.9999


def test_predict_is_the_sparse_product_plus_intercept_in_float32():
    X, y = problem(2)  # noqa: N806
    model = LsqrRidge(alpha=1.0).fit(X, y)
    pred = model.predict(X)
    assert pred.dtype == np.float32
    assert np.array_equal(pred, X @ model.coef_ + model.intercept_)
    assert np.array_equal(model.predict(X.toarray()), pred)  # dense input: same sparse path


def test_zero_target_gives_the_mean_and_no_iterations():
    X, _ = problem(3)  # noqa: N806
    model = LsqrRidge(alpha=1.0).fit(X, np.full(X.shape[0], 5.0))
    assert model.n_iter_ == 0 and not model.coef_.any() and model.intercept_ == 5.0


def test_column_means_in_chunks_are_one_bincount(monkeypatch):
    """The centring means are summed a chunk of entries at a time (memory): each column's sum
    is the one np.bincount gives, every entry added in row order."""
    rng = np.random.default_rng(3)
    X = sp.random(500, 40, density=0.3, random_state=4, format="csr", dtype=np.float32)  # noqa: N806
    X.data = rng.standard_normal(X.nnz).astype(np.float32) * 1e3
    want = np.bincount(X.indices, weights=X.data, minlength=40) / 500
    monkeypatch.setattr(ridge, "_CHUNK", 7)
    assert np.array_equal(ridge._Centered(X).mean, want)


def test_products_on_threads_are_the_same_on_any_count():
    """X @ v by runs of rows on threads is scipy's one product bit for bit; X^T @ u, summed
    over a fixed number of runs of rows, is the same on any thread count and scipy's one
    product but for float32 rounding (rows of all sizes, empty ones too)."""
    X, _ = problem(4, n=1001, d=301)  # noqa: N806
    X = sp.vstack([X[:10], sp.csr_matrix((5, 301), dtype=np.float32), X[10:]]).tocsr()  # noqa: N806
    rng = np.random.default_rng(4)
    v, u = rng.normal(size=301), rng.normal(size=X.shape[0])
    one = ridge._Centered(X)
    want_v = (X @ v.astype(np.float32)).astype(np.float64) - ridge._sum(one.mean * v)
    want_u = (X.T @ u.astype(np.float32)).astype(np.float64) - one.mean * ridge._sum(u)
    assert np.allclose(one.rmatvec(u), want_u, rtol=1e-5, atol=1e-4)
    for threads in (1, 2, 3, 7):
        many = ridge._Centered(X, threads)
        assert np.array_equal(many.matvec(v), want_v)
        assert np.array_equal(many.rmatvec(u), one.rmatvec(u))
        for run in many.runs + [view for _, view in many.runs_t]:  # views of X's arrays, not copies
            assert np.shares_memory(run.data, many.X.data)
            assert np.shares_memory(run.indices, many.X.indices)


def test_fit_is_the_same_on_any_thread_count(monkeypatch):
    X, y = problem(5)  # noqa: N806
    fits = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(ridge, "usable", lambda t=threads: t)
        fits.append(LsqrRidge(alpha=3.0, tol=1e-6).fit(X, y))
    for fit in fits[1:]:
        assert np.array_equal(fit.coef_, fits[0].coef_) and fit.intercept_ == fits[0].intercept_
        assert fit.n_iter_ == fits[0].n_iter_ > 10
