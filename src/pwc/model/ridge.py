"""Ridge regression on a sparse design matrix, solved by LSQR with machine-independent sums.

sklearn's `Ridge(solver="lsqr")` hands the problem to scipy's LSQR, whose vector norms are
BLAS dot products: OpenBLAS sums them in an order set by its CPU kernel and its thread count,
so the same data gave different coefficients (and model files) on different machines. This is
the same algorithm (Paige & Saunders 1982, as in scipy, same stopping rules) with every
reduction done by numpy's pairwise sum, whose order depends only on the vector's length, and
the matrix products by scipy's sparse kernels, which sum each row in order (runs of rows on
as many threads as the process may use; X^T's sums over a fixed number of runs of rows).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin

from pwc.threads import pool_map, runs, usable

_EPS = float(np.finfo(np.float64).eps)
# Python's float ** calls libm's pow, whose last bit can depend on the CPU: squares are x * x.


def _sum(v: np.ndarray) -> float:
    return float(np.sum(v, dtype=np.float64))  # pairwise, in an order fixed by len(v)


def _norm(v: np.ndarray) -> float:
    return math.sqrt(_sum(v * v))


def _sym_ortho(a: float, b: float) -> tuple[float, float, float]:
    """A stable Givens rotation (scipy's _sym_ortho): (c, s, r) with [c s; -s c][a; b] = [r; 0]."""
    if b == 0:
        return math.copysign(1.0, a), 0.0, abs(a)
    if a == 0:
        return 0.0, math.copysign(1.0, b), abs(b)
    if abs(b) > abs(a):
        tau = a / b
        s = math.copysign(1.0, b) / math.sqrt(1 + tau * tau)
        return s * tau, s, b / s
    tau = b / a
    c = math.copysign(1.0, a) / math.sqrt(1 + tau * tau)
    return c, c * tau, a / c


_CHUNK = 1 << 22  # entries per step of the column sums
# X^T @ u is summed over this many runs of X's rows (one thread each, as many at once as the
# process may use), the runs' sums then added in order: a fixed count, so the same numbers on
# any machine. A CSR copy of X^T would keep one sum per coefficient, at a copy's memory.
TRANSPOSED_RUNS = 4


class _Centered:
    """X - 1 x_mean^T without forming it: products in X's dtype, the rest in float64."""

    def __init__(self, X, threads: int = 1):  # noqa: N803 - sklearn's naming
        self.X = sp.csr_matrix(X)
        self.runs = _row_runs(self.X, threads)  # X @ v: each row's sum on one thread
        n, d = self.X.shape
        # X^T @ u: a sum per run of rows ((start, end), its CSC view), then the sums added
        bounds = runs(n, TRANSPOSED_RUNS)
        self.runs_t = list(zip(bounds, _row_runs(self.X, TRANSPOSED_RUNS, True), strict=True))
        self.threads = threads
        sums = np.zeros(d)
        # np.bincount's sums (each entry added in row order, in float64) a chunk at a time:
        # one call made int64 and float64 copies of every entry at once
        for start in range(0, self.X.nnz, _CHUNK):
            end = start + _CHUNK
            np.add.at(sums, self.X.indices[start:end], self.X.data[start:end].astype(np.float64))
        self.mean = sums / n
        self.shape = (n, d)

    def matvec(self, v: np.ndarray) -> np.ndarray:
        v32 = v.astype(self.X.dtype)
        parts = pool_map(lambda run: run @ v32, self.runs, self.threads)
        return np.concatenate(parts).astype(np.float64) - _sum(self.mean * v)

    def rmatvec(self, u: np.ndarray) -> np.ndarray:
        u32 = u.astype(self.X.dtype)
        parts = pool_map(lambda run: run[1] @ u32[slice(*run[0])], self.runs_t, self.threads)
        out = np.zeros(self.shape[1])
        for part in parts:  # always TRANSPOSED_RUNS sums, added in order: any thread count
            out += part
        return out - self.mean * _sum(u)


def _row_runs(M: sp.csr_matrix, parts: int, transposed: bool = False) -> list:  # noqa: N803
    """M's rows in `parts` consecutive runs, each a CSR matrix viewing M's arrays, or with
    `transposed` its transpose, a CSC matrix viewing them. No copy: scipy's constructors (and
    .T) copied the arrays and scanned every index on every call."""
    out = []
    for a, b in runs(M.shape[0], parts):
        s, e = M.indptr[a], M.indptr[b]
        shape = (M.shape[1], b - a) if transposed else (b - a, M.shape[1])
        run = (sp.csc_matrix if transposed else sp.csr_matrix)(shape, dtype=M.dtype)
        run.data, run.indices, run.indptr = M.data[s:e], M.indices[s:e], M.indptr[a : b + 1] - s
        out.append(run)
    return out


def lsqr(A: _Centered, b: np.ndarray, damp: float, tol: float, iter_lim: int):  # noqa: N803
    """min ||A x - b||^2 + damp^2 ||x||^2: scipy.sparse.linalg.lsqr with atol = btol = tol,
    conlim 1e8, x0 = 0. Returns (x, iterations, stop reason 1-7 as in scipy)."""
    n = A.shape[1]
    ctol, dampsq = 1e-8, damp * damp
    anorm = acond = ddnorm = res2 = xxnorm = z = sn2 = 0.0
    cs2 = -1.0
    x = np.zeros(n)
    u = np.asarray(b, dtype=np.float64)
    bnorm = beta = _norm(u)
    if beta == 0:
        return x, 0, 0
    u = u / beta
    v = A.rmatvec(u)
    alfa = _norm(v)
    if alfa == 0:
        return x, 0, 0
    v = v / alfa
    w = v.copy()
    rhobar, phibar = alfa, beta
    itn = istop = 0
    while itn < iter_lim:
        itn += 1
        u = A.matvec(v) - alfa * u
        beta = _norm(u)
        if beta > 0:
            u = u / beta
            anorm = math.sqrt(anorm * anorm + alfa * alfa + beta * beta + dampsq)
            v = A.rmatvec(u) - beta * v
            alfa = _norm(v)
            if alfa > 0:
                v = v / alfa
        rhobar1, psi, phibar = _damped(rhobar, phibar, damp, dampsq)
        cs, sn, rho = _sym_ortho(rhobar1, beta)
        theta, rhobar = sn * alfa, -cs * alfa
        phi, phibar = cs * phibar, sn * phibar
        tau = sn * phi
        dk = w / rho
        x = x + (phi / rho) * w
        w = v + (-theta / rho) * w
        ddnorm += _sum(dk * dk)
        delta, gambar = sn2 * rho, -cs2 * rho
        rhs = phi - delta * z
        zbar = rhs / gambar
        xnorm = math.sqrt(xxnorm + zbar * zbar)
        gamma = math.sqrt(gambar * gambar + theta * theta)
        cs2, sn2, z = gambar / gamma, theta / gamma, rhs / gamma
        xxnorm += z * z
        acond = anorm * math.sqrt(ddnorm)
        res2 += psi * psi
        rnorm = math.sqrt(phibar * phibar + res2)
        arnorm = alfa * abs(tau)
        norms = (rnorm, arnorm, anorm, acond, xnorm, bnorm)
        if istop := _stop_reason(itn >= iter_lim, norms, tol, ctol):
            break
    return x, itn, istop


def _damped(rhobar: float, phibar: float, damp: float, dampsq: float):
    """LSQR's damping rotation: (rhobar1, psi, phibar), unchanged without damping."""
    if damp <= 0:
        return rhobar, 0.0, phibar
    rhobar1 = math.sqrt(rhobar * rhobar + dampsq)
    cs1, sn1 = rhobar / rhobar1, damp / rhobar1
    return rhobar1, sn1 * phibar, cs1 * phibar


def _stop_reason(at_limit: bool, norms, tol: float, ctol: float) -> int:
    """scipy's stopping rules 1-7 (0: go on); the last rule met wins, as in scipy."""
    rnorm, arnorm, anorm, acond, xnorm, bnorm = norms
    test1 = rnorm / bnorm
    test2 = arnorm / (anorm * rnorm + _EPS)
    test3 = 1 / (acond + _EPS)
    t1 = test1 / (1 + anorm * xnorm / bnorm)
    rtol = tol + tol * anorm * xnorm / bnorm
    istop = 0
    for stop, met in (
        (7, at_limit),
        (6, 1 + test3 <= 1),
        (5, 1 + test2 <= 1),
        (4, 1 + t1 <= 1),
        (3, test3 <= ctol),
        (2, test2 <= tol),
        (1, test1 <= rtol),
    ):
        if met:
            istop = stop
    return istop


class LsqrRidge(RegressorMixin, BaseEstimator):
    """Ridge regression with an intercept: sklearn's Ridge(solver="lsqr") objective and
    stopping rule, and the same answers on every machine. Coefficients in X's dtype."""

    def __init__(self, alpha: float = 1.0, tol: float = 1e-4, max_iter: int | None = None):
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y):  # noqa: N803 - sklearn's signature
        A = _Centered(X, usable())  # noqa: N806 - the same numbers on any thread count
        y = np.asarray(y, dtype=np.float64)
        y_mean = _sum(y) / y.size
        iter_lim = self.max_iter or 2 * A.shape[1]
        coef, self.n_iter_, self.stop_reason_ = lsqr(
            A, y - y_mean, math.sqrt(self.alpha), self.tol, iter_lim
        )
        self.coef_ = coef.astype(A.X.dtype)
        # a Python float: adding it keeps float32 predictions float32 (numpy's scalar rules)
        self.intercept_ = float(y_mean - _sum(A.mean * coef))
        self.n_features_in_ = A.shape[1]
        return self

    def predict(self, X):  # noqa: N803
        # scipy's sparse product sums each row in order; a dense product would go to BLAS
        return sp.csr_matrix(X) @ self.coef_ + self.intercept_


LsqrRidge.__module__ = "pwc.model"  # its public path, as the model file names it
