"""The examples run and do what they say."""
import importlib.util
from pathlib import Path

import numpy as np

import s2sad

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_mlp_example_learns_with_its_dict_of_parameters(capsys):
    mlp = load("mlp")
    X, y = mlp.make_spirals(n_per_class=20)
    params = mlp.init((2, 8, 2))
    s2sad.check_grads(mlp.loss, (params, X, y))
    history, accuracy = mlp.train(steps=300, report=100)
    assert history[-1] < 0.5 * history[0] and accuracy > 0.8
    assert "step   300" in capsys.readouterr().out


def test_the_mlp_example_plots_or_says_why_not(tmp_path, capsys):
    mlp = load("mlp")
    mlp.plot([1.0, 0.5, 0.25], tmp_path / "loss.png")
    printed = capsys.readouterr().out
    assert (tmp_path / "loss.png").exists() or "matplotlib is not installed" in printed


def test_hutchinson_estimates_the_trace_of_the_hessian(capsys):
    hutchinson = load("hutchinson")
    w, X, y = hutchinson.make_data(n=50, d=6)
    p = 1 / (1 + np.exp(-(X @ w)))
    analytic = X.T @ (X * (p * (1 - p))[:, None]) / len(y) + 0.1 * np.eye(6)
    np.testing.assert_allclose(s2sad.hessian(hutchinson.loss)(w, X, y), analytic, rtol=1e-10)
    estimate = hutchinson.hutchinson(w, X, y, probes=300)
    assert abs(estimate - np.trace(analytic)) < 0.05 * np.trace(analytic)


def test_newton_converges_quadratically(capsys):
    newton = load("newton")
    w, norms = newton.newton(*newton.make_data(n=60, d=4))
    assert norms[-1] < 1e-10
    close = [n for n in norms if n < 1.0]
    steps = [(a, b) for a, b in zip(close, close[1:]) if a > 1e-8]   # above rounding
    assert len(steps) >= 2 and all(b < 10 * a * a for a, b in steps)   # quadratic
    assert "|grad|" in capsys.readouterr().out


def test_the_gradient_through_a_solve_is_its_closed_form(capsys):
    linear_solve = load("linear_solve")
    dA, db, dA_exact, db_exact = linear_solve.compare(*linear_solve.make_problem(n=5))
    np.testing.assert_allclose(dA, dA_exact, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, db_exact, rtol=1e-10, atol=1e-12)
    assert "closed form" in capsys.readouterr().out


def test_nuclear_norm_completion_shrinks_the_extra_singular_values(capsys):
    nuclear_norm = load("nuclear_norm")
    M, observed = nuclear_norm.make_problem()
    s2sad.check_grads(nuclear_norm.objective, (M * observed + 0.1, M, observed, 0.5), wrt=0)
    _, history = nuclear_norm.complete(M, observed, steps=200, report=100)
    (_, first, error_before), (_, last, error_after) = history[0], history[-1]
    assert last[2] < 0.2 * first[2]          # beyond the true rank 2
    assert error_after < 0.5 * error_before  # the missing entries, filled in


def test_mds_recovers_the_points_up_to_a_rigid_motion(tmp_path, capsys):
    mds = load("mds")
    truth = np.random.default_rng(0).uniform(-1, 1, size=(8, 2))
    D = mds.distances(truth)
    s2sad.check_grads(mds.stress, (truth + 0.1, D), wrt=0)
    X, history = mds.recover(D, steps=600)
    assert history[-1] < 1e-8 * history[0]
    assert np.max(np.abs(mds.aligned(X, truth) - truth)) < 1e-4
    mds.plot(truth, X, tmp_path / "mds.png")
    printed = capsys.readouterr().out
    assert (tmp_path / "mds.png").exists() or "matplotlib is not installed" in printed
