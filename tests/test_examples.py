"""The examples run and do what they say."""
import importlib.util
from pathlib import Path

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
