"""Softmax (multinomial logistic) regression trained by gradient descent.

The data set is made here: three Gaussian blobs in 2-D.
Run:  python examples/logistic_regression.py
"""
import numpy as np

import s2sad


def make_blobs(n_per_class=100, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    X = np.concatenate([c + rng.normal(scale=0.8, size=(n_per_class, 2)) for c in centres])
    y = np.repeat(np.arange(len(centres)), n_per_class)
    return X, y


def loss(W, b, X, y):
    logits = X @ W + b
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(X.shape[0]), y])


def main():
    X, y = make_blobs()
    W = np.zeros((2, 3))
    b = np.zeros(3)
    loss_and_grads = s2sad.value_and_grad(loss, wrt=("W", "b"))
    step = 0.5
    for iteration in range(101):
        value, (dW, db) = loss_and_grads(W, b, X, y)
        W -= step * dW
        b -= step * db
        if iteration % 20 == 0:
            print(f"iteration {iteration:3d}   loss {value:.4f}")
    accuracy = np.mean(np.argmax(X @ W + b, axis=1) == y)
    print(f"final accuracy: {accuracy:.1%}")


if __name__ == "__main__":
    main()
