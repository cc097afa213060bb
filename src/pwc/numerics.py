"""Elementary functions whose bits do not depend on the machine.

numpy's `log`, `log10`, `exp` and `**` run different code on different CPUs: AVX-512 kernels
where the CPU has them, else libm, whose own FMA and non-FMA variants glibc picks by CPU. Each
is accurate to an ulp or so, but not the same ulp, and a last bit changes targets, features and
so every model file (benchmarks/RESULTS.md, "Figures behind the code's choices").

These are fdlibm's algorithms (Sun's libm, the reference for Java's StrictMath) written with
numpy's +, -, *, /, frexp, ldexp and rint only, which IEEE 754 rounds exactly in scalar or SIMD
code alike: the same bits on every machine. Against mpmath (tests/code/test_numerics.py): log,
log10 and exp within 1 ulp, exp10 within 4.
"""

from __future__ import annotations

import functools
import math
import struct
from fractions import Fraction

import numpy as np

_SQRT_HALF = 0.70710678118654752440
_LN2_HI = 6.93147180369123816490e-01  # ln 2, upper 32 bits: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_INV_LN2 = 1.44269504088896338700e00
_IVLN10_HI = 4.34294481878168880939e-01  # 1 / ln 10, upper 33 bits
_IVLN10_LO = 2.50829467116452752298e-11
_LOG10_2_HI = 3.01029995663611771306e-01  # log10(2), upper 33 bits
_LOG10_2_LO = 3.69423907715893078616e-13
_UPPER_32_INT = 0xFFFFFFFF00000000
_UPPER_32 = np.uint64(_UPPER_32_INT)
_LN10 = 2.30258509299404568402e00
# fdlibm e_log.c: minimax polynomial for log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))
_LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)
# fdlibm e_exp.c: minimax polynomial for the reduced argument
_P = (
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
)
_EXP_MAX = 7.09782712893383973096e02  # above: overflow to inf
_EXP_MIN = -7.45133219101941108420e02  # below: underflow to 0
# 10^n for every n a double can hold, each correctly rounded from the exact rational.
_POW10_MIN, _POW10_MAX = -323, 308
_POW10 = np.array(
    [float(Fraction(10) ** n) for n in range(_POW10_MIN, _POW10_MAX + 1)], dtype=np.float64
)
_POW10_LIST = _POW10.tolist()
# Up to this many values (or rows: pwc.features.paths.few_path, every two-path switch), the same
# operations on Python floats (numpy's per-call costs: benchmarks/RESULTS.md). CPython's float
# +, -, *, / are the same IEEE double operations, rounded once each, as numpy's (no fused
# multiply-add in either), and math.frexp / ldexp / round (half to even) are exact like np.frexp
# / ldexp / rint: the same bits (tested).
FEW = 2


def _log_tail(f):
    """(hfsq, s * (hfsq + R)) of log(1 + f): for numpy arrays and Python floats alike (the
    same operations in the same order either way)."""
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG[1] + w * (_LG[3] + w * _LG[5]))
    t2 = z * (_LG[0] + w * (_LG[2] + w * (_LG[4] + w * _LG[6])))
    r = t2 + t1
    hfsq = 0.5 * f * f
    return hfsq, s * (hfsq + r)


def _log_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(k, f, hfsq, s * (hfsq + R)) with x = 2^k * (1 + f), 1 + f in [sqrt(1/2), sqrt(2)),
    for finite x > 0: log(1 + f) = f - (hfsq - s * (hfsq + R))."""
    m, e = np.frexp(x)  # exact: x = m * 2^e, m in [0.5, 1)
    low = m < _SQRT_HALF
    m = np.where(low, m * 2.0, m)  # exact (a power of two)
    k = (e - low).astype(np.float64)
    f = m - 1.0  # exact (Sterbenz)
    return (k, f, *_log_tail(f))


def _log_parts1(x: float) -> tuple[float, float, float, float]:
    """`_log_parts` of one finite x > 0, in Python floats."""
    m, e = math.frexp(x)
    low = m < _SQRT_HALF
    if low:
        m = m * 2.0
    k = float(e - low)
    f = m - 1.0
    return (k, f, *_log_tail(f))


def _exp_reduced(x, k):
    """e**(x - k ln 2) for |x - k ln 2| <= ln(2) / 2: numpy arrays and Python floats alike."""
    hi = x - k * _LN2_HI  # exact: k * _LN2_HI has few significant bits
    lo = k * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (_P[0] + t * (_P[1] + t * (_P[2] + t * (_P[3] + t * _P[4]))))
    return 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)


def _log10_sum(k, f, hfsq, tail, hi):
    """log10 from log(1 + f)'s parts and `hi`, f - hfsq with its mantissa cut to 32 bits:
    numpy arrays and Python floats alike."""
    lo = (f - hi) - hfsq + tail
    val_hi = hi * _IVLN10_HI
    y2 = k * _LOG10_2_HI
    val_lo = k * _LOG10_2_LO + (lo + hi) * _IVLN10_LO + lo * _IVLN10_HI
    w = y2 + val_hi
    val_lo = val_lo + ((y2 - w) + val_hi)
    return val_lo + w


def _log_special1(x: float) -> float | None:
    """log's answer at 0, negatives, inf and nan; None for a finite x > 0."""
    if math.isfinite(x) and x > 0:
        return None
    return -math.inf if x == 0 else math.inf if x == math.inf else math.nan  # < 0, nan: nan


def _each(fn, x: np.ndarray) -> np.ndarray:
    """fn on each value of a small array, as an array of its shape."""
    return np.array([fn(v) for v in x.ravel().tolist()], dtype=np.float64).reshape(x.shape)


def _log1(x: float) -> float:
    special = _log_special1(x)
    if special is not None:
        return special
    k, f, hfsq, tail = _log_parts1(x)
    return k * _LN2_HI - ((hfsq - (tail + k * _LN2_LO)) - f)


def _log10_1(x: float) -> float:
    special = _log_special1(x)
    if special is not None:
        return special
    k, f, hfsq, tail = _log_parts1(x)
    (bits,) = struct.unpack("<Q", struct.pack("<d", f - hfsq))
    (hi,) = struct.unpack("<d", struct.pack("<Q", bits & _UPPER_32_INT))
    return _log10_sum(k, f, hfsq, tail, hi)


def _exp1(x: float) -> float:
    if math.isnan(x) or not _EXP_MIN <= x <= _EXP_MAX:
        return math.nan if math.isnan(x) else math.inf if x > _EXP_MAX else 0.0
    k = float(round(x * _INV_LN2))  # round half to even, as np.rint
    y = _exp_reduced(x, k)
    try:
        return math.ldexp(y, int(k))
    except OverflowError:  # np.ldexp's answer: inf
        return math.inf


def _exp10_1(x: float) -> float:
    if math.isnan(x):
        return math.nan
    if math.isinf(x):
        return math.inf if x > 0 else 0.0
    n = float(round(x))
    if not _POW10_MIN <= n <= _POW10_MAX:
        return math.inf if n > _POW10_MAX else 0.0
    return _POW10_LIST[int(n) - _POW10_MIN] * _exp1((x - n) * _LN10)


def log10_floats(values: list[float]) -> list[float]:
    """`log10` of each Python float, in Python floats (the same bits as the array path)."""
    return [_log10_1(v) for v in values]


def sum_in_order(values: list[float]) -> float:
    """Python floats added left to right from the first, as np.add.reduceat adds a row
    (not `sum`, which compensates its float sums from Python 3.12 on)."""
    total = values[0]
    for value in values[1:]:
        total += value
    return total


def exp10_float(x: float) -> float:
    """`exp10` of one Python float (the same bits as the array path)."""
    return _exp10_1(x)


def logistic_float(z: float) -> float:
    """`logistic` of one Python float (the same bits as the array path)."""
    return 1.0 / (1.0 + _exp1(-z))


SLICE = 1 << 16


def _sliced(fn):
    """`fn` (elementwise) a slice of SLICE elements at a time: the same bits, and its ~15
    temporaries stay small (the PCFG's 2^24-bucket table at once: benchmarks/RESULTS.md)."""

    @functools.wraps(fn)
    def sliced(x):
        x = np.asarray(x, dtype=np.float64)
        if x.size <= SLICE:
            return fn(x)
        flat, out = x.reshape(-1), np.empty(x.size, dtype=np.float64)
        for start in range(0, flat.size, SLICE):
            out[start : start + SLICE] = fn(flat[start : start + SLICE])
        return out.reshape(x.shape)

    return sliced


def _special(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """log's answers at 0, negatives, inf and nan (what IEEE libm returns)."""
    bad = ~(np.isfinite(x) & (x > 0))
    if bad.any():
        out[x == 0] = -np.inf
        out[x < 0] = np.nan
        out[np.isnan(x)] = np.nan
        out[x == np.inf] = np.inf
    return out


@_sliced
def log(x) -> np.ndarray:
    """Natural logarithm, float64."""
    x = np.asarray(x, dtype=np.float64)
    if x.size <= FEW:
        return _each(_log1, x)
    safe = np.where(np.isfinite(x) & (x > 0), x, 1.0)
    k, f, hfsq, tail = _log_parts(safe)
    out = k * _LN2_HI - ((hfsq - (tail + k * _LN2_LO)) - f)  # fdlibm's order of operations
    return _special(x, np.asarray(out, dtype=np.float64))


@_sliced
def log10(x) -> np.ndarray:
    """Base-10 logarithm, float64 (FreeBSD msun's e_log10.c: log(1 + f) split in a high part
    with a short mantissa and a low part, so multiplying by 1/ln 10 loses nothing)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size <= FEW:
        return _each(_log10_1, x)
    safe = np.where(np.isfinite(x) & (x > 0), x, 1.0)
    k, f, hfsq, tail = _log_parts(safe)
    hi = (f - hfsq).view(np.uint64) & _UPPER_32  # exact truncation of the mantissa
    hi = hi.view(np.float64)
    return _special(x, np.asarray(_log10_sum(k, f, hfsq, tail, hi), dtype=np.float64))


@_sliced
def exp(x) -> np.ndarray:
    """e**x, float64."""
    x = np.asarray(x, dtype=np.float64)
    if x.size <= FEW:
        return _each(_exp1, x)
    finite = np.isfinite(x)
    safe = np.where(finite, np.clip(x, _EXP_MIN, _EXP_MAX), 0.0)
    k = np.rint(safe * _INV_LN2)  # round half to even: exact, the same everywhere
    y = _exp_reduced(safe, k)
    out = np.ldexp(y, k.astype(np.int64))  # exact scaling by 2^k (rounds once if subnormal)
    return _edges(x, out, x > _EXP_MAX, x < _EXP_MIN)


def _edges(x: np.ndarray, out: np.ndarray, over: np.ndarray, under: np.ndarray) -> np.ndarray:
    """An exponential's answers past its range (over: inf, under: 0), at NaN and infinities."""
    out = np.where(over, np.inf, out)
    out = np.where(under, 0.0, out)
    out = np.where(np.isnan(x), np.nan, out)
    return np.where(np.isneginf(x), 0.0, np.where(np.isposinf(x), np.inf, out))


@_sliced
def exp10(x) -> np.ndarray:
    """10**x, float64: an exact power of ten times 10**f for the fraction |f| <= 0.5."""
    x = np.asarray(x, dtype=np.float64)
    if x.size <= FEW:
        return _each(_exp10_1, x)
    n = np.rint(finite := np.where(np.isfinite(x), x, 0.0))
    f = finite - n  # exact
    index = np.clip(n, _POW10_MIN, _POW10_MAX).astype(np.int64) - _POW10_MIN
    with np.errstate(over="ignore"):
        out = _POW10[index] * exp(f * _LN10)
    return _edges(x, out, n > _POW10_MAX, n < _POW10_MIN)


@_sliced
def logistic(z) -> np.ndarray:
    """1 / (1 + e**-z)."""
    z = np.asarray(z, dtype=np.float64)
    if z.size <= FEW:
        return _each(logistic_float, z)
    return 1.0 / (1.0 + exp(-z))
