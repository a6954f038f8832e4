"""A two-layer network whose parameters live in a dict, split into init, forward and
loss helpers, trained with s2sad.grad on two interleaved spirals made here.

Run:  python examples/mlp.py [--steps N] [--plot loss.png]
Prints the loss falling and the final accuracy; with matplotlib installed
(pip install "s2sad[examples]") and --plot, writes the loss curve as a PNG.
"""
import argparse

import numpy as np

import s2sad


def make_spirals(n_per_class=100, seed=0):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(size=n_per_class)) * 2 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (2 * np.pi)
    X = np.concatenate([arm, -arm]) + rng.normal(scale=0.03, size=(2 * n_per_class, 2))
    y = np.repeat([0, 1], n_per_class)
    return X, y


def init(sizes, seed=1):
    rng = np.random.default_rng(seed)
    inputs, hidden, classes = sizes
    return {"W1": rng.normal(size=(inputs, hidden)) / np.sqrt(inputs),
            "b1": np.zeros(hidden),
            "W2": rng.normal(size=(hidden, classes)) / np.sqrt(hidden),
            "b2": np.zeros(classes)}


def forward(params, X):
    h = np.tanh(X @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def loss(params, X, y):
    logits = forward(params, X)
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(X.shape[0]), y])


def train(steps=2000, learning_rate=0.5, report=250):
    X, y = make_spirals()
    params = init((2, 32, 2))
    loss_and_grads = s2sad.value_and_grad(loss)
    history = []
    for step in range(steps + 1):
        value, grads = loss_and_grads(params, X, y)
        history.append(value)
        if step % report == 0:
            print(f"step {step:5d}  loss {value:.4f}")
        params = {name: params[name] - learning_rate * grads[name] for name in params}
    accuracy = np.mean(np.argmax(forward(params, X), axis=1) == y)
    print(f"accuracy on the training set: {accuracy:.1%}")
    return history, accuracy


def plot(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 's2sad[examples]')")
        return
    figure, axes = plt.subplots(figsize=(5, 3))
    axes.plot(history)
    axes.set_xlabel("step")
    axes.set_ylabel("cross-entropy")
    axes.set_yscale("log")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--plot", metavar="PNG", default="mlp_loss.png")
    arguments = parser.parse_args()
    history, _ = train(arguments.steps)
    plot(history, arguments.plot)


if __name__ == "__main__":
    main()
