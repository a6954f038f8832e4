"""float32 arguments, on every program of the rule tests: reverse and forward mode
give float32 derivatives that agree with the float64 ones within float32's precision
(the float64 ones are checked against finite differences elsewhere)."""
import numpy as np
import pytest

import s2sad
from tests.test_rules_through_grad import CASES

RTOL, ATOL = 2e-3, 2e-4


def as_float32(value):
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    return value


def arrays_among(args, wrt) -> list:
    return [i for i in wrt if isinstance(args[i], np.ndarray) and args[i].dtype.kind == "f"]


def close(found, expected):
    scale = max(1.0, float(np.max(np.abs(expected))) if np.size(expected) else 1.0)
    np.testing.assert_allclose(np.asarray(found, float), expected, rtol=RTOL,
                               atol=ATOL * scale)


@pytest.mark.parametrize("program, args, wrt", [getattr(c, "values", c) for c in CASES],
                         ids=lambda v: getattr(v, "__name__", None))
def test_float32_arguments_in_both_modes(program, args, wrt):
    arrays = arrays_among(args, wrt)
    if not arrays:
        return   # Python floats only: float64 already
    single = tuple(as_float32(a) if i in arrays else a for i, a in enumerate(args))
    found = s2sad.grad(program, wrt=tuple(arrays))(*single)
    expected = s2sad.grad(program, wrt=tuple(arrays))(*args)
    for gradient, reference in zip(found, expected):
        assert gradient.dtype == np.float32
        close(gradient, reference)
    rng = np.random.default_rng(0)
    tangents = tuple(rng.normal(size=np.shape(a)).astype(np.float32) if i in arrays else None
                     for i, a in enumerate(args))
    _, tangent = s2sad.jvp(program, single, tangents)
    _, reference = s2sad.jvp(program, args, tuple(
        None if t is None else t.astype(np.float64) for t in tangents))
    close(tangent, reference)


# forward mode keeps a float32 result's tangent float32 through these rules' constants
# and helpers (NumPy float64 scalars such as np.log(2) would win over float32 arrays)
from tests import rule_programs as P  # noqa: E402

def float_base_powers(x):   # the rules' np.log(2.0) is written math.log(2.0)
    return 2.0 ** x + np.power(3.0, x)


FLOAT32_TANGENTS = [P.np_exp2, P.np_log2, P.np_log10, P.np_sinc, P.scipy_erf, P.scipy_ndtr,
                    P.scipy_digamma, P.prod_all, P.method_clip, P.nanmean_axis,
                    float_base_powers]


@pytest.mark.parametrize("program", FLOAT32_TANGENTS, ids=lambda f: f.__name__)
def test_float32_tangents_stay_float32(program):
    x = np.random.default_rng(1).uniform(0.5, 1.5, size=(3, 4)).astype(np.float32)
    out, tangent = s2sad.jvp(program, (x,), (np.ones_like(x),))
    assert np.asarray(out).dtype == np.float32 and np.asarray(tangent).dtype == np.float32
