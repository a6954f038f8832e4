"""scipy.special, when SciPy is installed (it stays optional)."""
from .registry import defjvp, defvjp

try:
    from scipy import special
except ImportError:   # pragma: no cover - SciPy absent
    special = None

if special is not None:
    defvjp(special.expit, "x", dx="g * ans * (1 - ans)")
    defvjp(special.erf, "x", dx="g * (2 / np.sqrt(np.pi)) * np.exp(-x * x)")
    defvjp(special.erfc, "x", dx="-g * (2 / np.sqrt(np.pi)) * np.exp(-x * x)")
    defvjp(special.gammaln, "x", dx="g * digamma(x)")
    # log(sum(b * exp(a))): the cotangent spreads in the proportions b * exp(a - ans).
    # return_sign=True (a pair) is left out of the signature, so it is refused.
    defvjp(special.logsumexp, "a, axis=None, b=None, keepdims=False", output="reduce",
           da="restore_axes(g, a, axis, keepdims) * (1.0 if b is None else b) "
              "* np.exp(a - restore_axes(ans, a, axis, keepdims))")
    defvjp(special.softmax, "x, axis=None", output="same",
           dx="ans * (g - np.sum(g * ans, axis=axis, keepdims=True))")
    defvjp(special.log_softmax, "x, axis=None", output="same",
           dx="g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)")

if special is not None:   # --- forward
    defjvp(special.logsumexp, ta="np.sum(t * (1.0 if b is None else b) "
                                 "* np.exp(a - restore_axes(ans, a, axis, keepdims)), "
                                 "axis=axis, keepdims=keepdims)")
    defjvp(special.softmax, tx="ans * (t - np.sum(t * ans, axis=axis, keepdims=True))")
    defjvp(special.log_softmax, tx="t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True)")
