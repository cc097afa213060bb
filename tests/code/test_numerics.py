"""pwc.numerics: accurate, IEEE special cases, and the only elementary functions the package
uses (numpy's and libm's give CPU-dependent last bits; tests/pipeline/test_cross_machine.py
checks the bits across machines)."""

import ast
import math

import mpmath
import numpy as np
import pytest

from pwc import numerics

from ..conftest import ROOT

mpmath.mp.prec = 120
RNG = np.random.default_rng(20261128)


def worst_ulps(got: np.ndarray, exact, xs: np.ndarray) -> float:
    worst = 0.0
    for g, x in zip(got.tolist(), xs.tolist(), strict=True):
        want = exact(mpmath.mpf(x))
        if not math.isfinite(float(want)) or float(want) == 0.0:
            assert g == float(want), (x, g, want)
            continue
        worst = max(worst, abs(float((mpmath.mpf(g) - want) / math.ulp(float(want)))))
    return worst


POSITIVE = np.concatenate(
    [
        RNG.uniform(1e-12, 1.0, 3000),
        np.exp(RNG.uniform(-700.0, 700.0, 3000)),
        RNG.uniform(0.5, 2.0, 3000),  # around the [sqrt(1/2), sqrt(2)) reduction boundary
        np.arange(1, 3000) + 0.5,  # mid-ranks, as the targets use them
        [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308],
    ]
)


@pytest.mark.parametrize(
    ("fn", "exact", "xs", "bound"),
    [
        (numerics.log, mpmath.log, POSITIVE, 1.0),
        (numerics.log10, mpmath.log10, POSITIVE, 1.0),
        (numerics.exp, mpmath.exp, RNG.uniform(-745.0, 709.7, 6000), 1.0),
        (numerics.exp, mpmath.exp, RNG.uniform(-1.0, 1.0, 3000), 1.0),
        (numerics.exp10, lambda v: mpmath.power(10, v), RNG.uniform(-300.0, 300.0, 6000), 4.0),
    ],
)
def test_accurate_to_the_stated_ulps(fn, exact, xs, bound):
    assert worst_ulps(fn(xs), exact, xs) <= bound


def test_exact_where_the_answer_is_exact():
    assert numerics.log10(10.0 ** np.arange(0, 23)).tolist() == list(range(23))
    assert numerics.exp10(np.arange(-20, 23)).tolist() == [
        float(10**n) if n >= 0 else 10.0**n for n in range(-20, 23)
    ]
    assert float(numerics.log(1.0)) == 0.0 and float(numerics.exp(0.0)) == 1.0


def test_ieee_special_values():
    specials = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan])
    got = numerics.log(specials)
    assert got[0] == -np.inf and got[1] == -np.inf and got[3] == np.inf
    assert np.isnan(got[[2, 4, 5]]).all()
    assert numerics.log10(specials)[0] == -np.inf
    e = numerics.exp(np.array([-np.inf, np.inf, np.nan, 710.0, -746.0]))
    assert e[0] == 0.0 and e[1] == np.inf and np.isnan(e[2]) and e[3] == np.inf and e[4] == 0.0
    t = numerics.exp10(np.array([309.0, -324.5, np.nan, np.inf, -np.inf]))
    assert t[0] == np.inf and t[1] == 0.0 and np.isnan(t[2]) and t[3] == np.inf and t[4] == 0.0
    assert numerics.logistic(np.array([0.0, 800.0, -800.0])).tolist() == [0.5, 1.0, 0.0]


def test_scalars_and_arrays_agree():
    xs = RNG.uniform(0.1, 100.0, 50)
    for fn in (numerics.log, numerics.log10, numerics.exp, numerics.exp10):
        assert [float(fn(x)) for x in xs.tolist()] == fn(xs).tolist()


EDGES = [
    0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, np.inf, -np.inf, np.nan,
    0.5, 1.0, 2.0, 10.0, 0.7071067811865476, 0.7071067811865475, 709.782712893384,
    7.09782712893383973096e02, -7.45133219101941108420e02, -745.2, 708.9, 308.0, 308.4999,
    308.5, -323.0, -323.5, -324.0, 0.5, -0.5, 1.5, 2.5, -1e300, 1e300,
]  # fmt: skip
FEW_VALUES = np.concatenate(
    [
        EDGES,
        RNG.uniform(-800.0, 800.0, 3000),
        RNG.uniform(-2.0, 2.0, 3000),
        np.exp(RNG.uniform(-740.0, 705.0, 3000)),
        np.arange(1, 3000) + 0.5,
        -np.exp(RNG.uniform(-5, 5, 100)),
    ]
)


@pytest.mark.parametrize(
    "fn", [numerics.log, numerics.log10, numerics.exp, numerics.exp10, numerics.logistic]
)
def test_one_or_two_values_give_the_batch_bits(fn):
    """Up to numerics.FEW values go through Python floats: the same bits as the array path,
    edges (subnormals, overflow, ties of the rounding, specials) included."""
    batch = fn(FEW_VALUES)
    assert FEW_VALUES.size > numerics.FEW
    ones = np.concatenate([fn(FEW_VALUES[i : i + 1]) for i in range(FEW_VALUES.size)])
    pairs = np.concatenate([fn(FEW_VALUES[i : i + 2]) for i in range(0, FEW_VALUES.size, 2)])
    scalars = np.array([fn(v) for v in FEW_VALUES.tolist()])
    for got in (ones, pairs, scalars):
        assert got.view(np.uint64).tolist() == batch.view(np.uint64).tolist() or (
            np.array_equal(got, batch, equal_nan=True)
            and np.array_equal(np.signbit(got), np.signbit(batch))
        )


# Calls whose result bits depend on the CPU (SIMD kernels, libm variants); `**` on floats
# calls libm's pow. The package goes through pwc.numerics instead.
FORBIDDEN = {
    ("np", "log"), ("np", "log10"), ("np", "log2"), ("np", "log1p"), ("np", "exp"),
    ("np", "exp2"), ("np", "expm1"), ("np", "power"), ("np", "float_power"),
    ("np", "geomspace"), ("np", "logspace"), ("np", "dot"), ("np", "matmul"),
    ("np", "corrcoef"), ("np", "cov"), ("math", "log"), ("math", "log10"), ("math", "exp"),
    ("math", "pow"), ("scipy.stats", "spearmanr"), ("stats", "spearmanr"),
}  # fmt: skip


@pytest.mark.parametrize("fn", [numerics.log, numerics.log10, numerics.exp, numerics.exp10])
def test_large_arrays_are_computed_a_slice_at_a_time_with_the_same_bits(fn, monkeypatch):
    # specials at the slices' edges, a 2-D shape, a size that is no multiple of the slice
    monkeypatch.setattr(numerics, "SLICE", 64)
    x = np.random.default_rng(0).uniform(-40.0, 40.0, 64 * 7 + 5)
    x[[0, 63, 64, 127, 300, -1]] = [0.0, np.inf, -np.inf, np.nan, -3.0, 1e-310]
    x = x.reshape(-1, 3)[:, :2].copy()
    with np.errstate(all="ignore"):
        got, whole = fn(x), fn.__wrapped__(x)  # sliced (8 slices), and in one piece
    assert got.shape == x.shape
    np.testing.assert_array_equal(got.view(np.uint64), whole.view(np.uint64))


def test_the_package_uses_no_cpu_dependent_math():
    found = []
    for path in sorted((ROOT / "src/pwc").rglob("*.py")):
        if path.name == "numerics.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            named = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            if named and (node.value.id, node.attr) in FORBIDDEN:
                found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module in ("math", "scipy.stats"):
                names = {a.name for a in node.names}
                if names & {"log", "log10", "exp", "pow", "spearmanr"}:
                    found.append(f"{path.name}:{node.lineno} from {node.module} import")
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                base, power = node.left, node.right
                whole = all(
                    isinstance(v, ast.Constant) and isinstance(v.value, int) for v in (base, power)
                )
                if not whole:  # int ** int is exact; anything else may reach libm's pow
                    found.append(f"{path.name}:{node.lineno} **")
    assert not found, found
