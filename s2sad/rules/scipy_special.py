"""scipy.special, when SciPy is installed (it stays optional)."""
from .registry import defjvp, defvjp

try:
    from scipy import special
except ImportError:   # pragma: no cover - SciPy absent
    special = None

if special is not None:
    defvjp(special.expit, "x", dx="g * ans * (1 - ans)")
    defvjp(special.erf, "x", dx="g * (2 / math.sqrt(math.pi)) * np.exp(-x * x)")
    defvjp(special.erfc, "x", dx="-g * (2 / math.sqrt(math.pi)) * np.exp(-x * x)")
    defvjp(special.gammaln, "x", dx="g * digamma(x)")
    defvjp(special.gamma, "x", dx="g * ans * digamma(x)")
    defvjp(special.digamma, "x", dx="g * polygamma(1, x)")
    if special.psi is not special.digamma:
        defvjp(special.psi, "x", dx="g * polygamma(1, x)")
    defvjp(special.betaln, "a, b", da="unbroadcast(g * (digamma(a) - digamma(a + b)), a)",
           db="unbroadcast(g * (digamma(b) - digamma(a + b)), b)")
    defvjp(special.logit, "x", dx="g / (x * (1 - x))")
    defvjp(special.log_expit, "x", dx="g * 0.5 * (1 - np.tanh(x / 2))")   # 1 - expit(x)
    defvjp(special.ndtr, "x", dx="g * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)")
    defvjp(special.log_ndtr, "x", dx="g * np.exp(-0.5 * x * x - ans) / math.sqrt(2 * math.pi)")
    defvjp(special.ndtri, "y", dy="g * math.sqrt(2 * math.pi) * np.exp(0.5 * ans * ans)")
    defvjp(special.erfinv, "y", dy="g * (math.sqrt(math.pi) / 2) * np.exp(ans * ans)")
    defvjp(special.erfcinv, "y", dy="-g * (math.sqrt(math.pi) / 2) * np.exp(ans * ans)")
    # x log y is 0 at x = 0: its slope in x there is still log y
    defvjp(special.xlogy, "x, y", dx="unbroadcast(g * np.log(y), x)",
           dy="unbroadcast(g * x / y, y)")
    defvjp(special.xlog1py, "x, y", dx="unbroadcast(g * np.log1p(y), x)",
           dy="unbroadcast(g * x / (1 + y), y)")
    defvjp(special.entr, "x", dx="-g * (np.log(x) + 1)")
    defvjp(special.rel_entr, "x, y", dx="unbroadcast(g * (np.log(x / y) + 1), x)",
           dy="unbroadcast(-g * x / y, y)")
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
