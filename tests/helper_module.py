"""Helpers in a module of their own, with their own names for NumPy and constants:
s2sad inlines them into functions defined elsewhere (tests/test_calls.py)."""
import numpy as numpy_module

SCALE = 3.0


def layer(x, W, b):
    return numpy_module.tanh(x @ W + b)


def scaled(v, k=SCALE):
    return k * v


def make_penalty(weights):
    def penalty(v):
        return numpy_module.sum(weights * v * v)
    return penalty
