"""Every construct on all its paths, checked against central finite differences."""
import numpy as np
import pytest

import s2sad
from tests import programs as P

rng = np.random.default_rng(0)

CASES = [
    (P.geometric, (0.7, 10), 0),
    (P.branches, (2.0, 1.0), (0, 1)),
    (P.branches, (-1.0, 1.0), (0, 1)),
    (P.branches, (0.5, 1.0), (0, 1)),
    (P.while_loop, (1.0,), 0),
    (P.break_continue, (1.3, 20), 0),
    (P.early_return, (0.5, 5), 0),
    (P.early_return, (-0.5, 0), 0),
    (P.early_return, (0.1, 1), 0),
    (P.nested_loops, (1.1, 3, 4), 0),
    (P.tuples_and_augmented, (0.7, 1.3), (0, 1)),
    (P.conditional_expression, (2.0,), 0),
    (P.conditional_expression, (0.5,), 0),
    (P.swapped_entries, (np.array([0.3, -1.2, 2.5]),), 0),
    (P.or_and_values, (0.7, 1.3, 2.0), (0, 1, 2)),
    (P.or_and_values, (0.7, 1.3, 0.0), (0, 1)),
    (P.or_and_values, (-0.7, 1.3, 2.0), (0, 1, 2)),
    (P.or_and_values, (0.7, -1.3, 0.0), (0, 1)),
    (P.array_rows, (rng.normal(size=(4, 3)), rng.normal(size=3)), (0, 1)),
    (P.zip_enumerate, (rng.normal(size=3), 0.4), (0, 1)),
    (P.item_method, (rng.normal(size=3),), 0),
    (P.numpy_scalars_and_methods, (0.7, rng.normal(size=(2, 2))), (0, 1)),
    (P.nested_zip_enumerate, (rng.normal(size=3), rng.normal(size=4)), (0, 1)),
    (P.indexing, (rng.normal(size=6),), 0),
    (P.matrix_indexing, (rng.normal(size=(4, 4)),), 0),
    (P.fancy_indexing, (rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])), 0),
    (P.row_views_in_a_loop, (rng.normal(size=(2, 2)) * 0.5, rng.normal(size=2),
                             rng.normal(size=(4, 2))), (0, 1, 2)),
    (P.augmented_without_sharing, (rng.normal(size=3), rng.normal(size=3)), (0, 1)),
    (P.slice_and_index_array, (rng.normal(size=(3, 3)), np.array([0, 2]), np.array([1, 0, 1])),
     0),
    (P.rnn, (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(5, 3)), rng.normal(size=3)), (0, 1, 2)),
    (P.index_accumulate, (0.7, 4), 0),
    (P.sqrt_newton, (2.0,), 0),
    (P.horner, (0.7, [1.0, -2.0, 3.0, 0.5]), 0),
    (P.power_iteration, (rng.normal(size=(4, 4)) + 4 * np.eye(4),), 0),
    (P.gauss_seidel, (rng.normal(size=(4, 4)) + 4 * np.eye(4), rng.normal(size=4)), (0, 1)),
    (P.zero_trip, (1.5, 0), 0),
    (P.reversed_items, (rng.normal(size=4),), 0),
    (P.reversed_items, ([0.5, 1.5, -0.3],), 0),
    (P.many_continues, (0.7, 30), 0),
    (P.mask_write, (np.array([-0.7, 0.3, -0.2, 0.6, 0.9]),), 0),
    (P.repeated_index_write, (rng.normal(size=5),), 0),
    (P.indexed_in_loop, (rng.normal(size=(3, 3)), rng.normal(size=(4, 3))), (0, 1)),
    (P.indexed_in_loop, (rng.normal(size=(3, 3)), np.zeros((0, 3))), 0),
    (P.unpack_rows, (rng.normal(size=(4, 2)), 0.3), (0, 1)),
    (P.invariant_in_loop, (0.7, 1.3, 4), (0, 1)),
    (P.zero_trip, (1.5, 3), 0),
    (P.array_methods, (rng.normal(size=(4, 3)), rng.normal(size=(3, 5)) * 0.3), (0, 1)),
    (P.mlp_loss, (rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)),
                  rng.normal(size=2), rng.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0])),
     (0, 1, 2, 3)),
    (P.sum_of_iterates, (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(2, 3))), (0, 1)),
    (P.product_used_in_one_branch, (rng.normal(size=(3, 2)), rng.normal(size=(4, 3)), 1), (0, 1)),
    (P.product_used_in_one_branch, (rng.normal(size=(3, 2)), rng.normal(size=(4, 3)), 0), (0, 1)),
    (P.product_overwritten_in_one_branch,
     (rng.normal(size=(4, 2)), rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), 1), (0, 1, 2)),
    (P.product_overwritten_in_one_branch,
     (rng.normal(size=(4, 2)), rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), 0), (0, 1, 2)),
    (P.overwritten_in_each_iteration, (rng.normal(size=(3, 2)), rng.normal(size=(2, 2)),
                                       rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), 3),
     (0, 1, 2, 3)),
    (P.overwritten_in_each_iteration, (rng.normal(size=(3, 2)), rng.normal(size=(2, 2)),
                                       rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), 0),
     (0, 1, 2, 3)),
    (P.arange_stretched_index, (rng.normal(size=(1, 3)), np.array([0, 2, 0, 0]), 1), 0),
    (P.arange_stretched_index, (rng.normal(size=(3, 3)), np.array([0, 2, 2]), 3), 0),
    (P.slice_rewritten_in_place, (rng.normal(size=4),), 0),
    (P.while_with_break_inside_if, (0.3, 1.0), 0),
    (P.while_with_break_inside_if, (0.3, -1.0), 0),
    (P.returns_in_nested_ifs, (0.3, 0.5), 0),
    (P.returns_in_nested_ifs, (0.3, 1.5), 0),
    (P.returns_in_nested_ifs, (0.3, 2.5), 0),
    (P.breaks_in_elif_chain, (0.3,), 0),
    (P.reduction_written_by_index, (rng.normal(size=(3, 2)),), 0),
    (P.quotient_written_by_index, (np.array([0.5, 0.7, 0.9]),), 0),
    (P.arange_written_into, (np.array([0.3, -1.2, 0.7]),), 0),
    (P.shape_product, (rng.normal(size=(2, 3)),), 0),
    (P.builtin_sum_of_rows, (rng.normal(size=(2, 3)), 0.5), (0, 1)),
    (P.builtin_sum_of_rows, (rng.normal(size=3), 0.5), (0, 1)),
    (P.builtin_max_of_items, (np.array([0.3, 1.2, -0.5]), np.array([0.7, -0.4])), (0, 1)),
]


@pytest.mark.parametrize("f,args,wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_against_fd(f, args, wrt):
    s2sad.check_grads(f, args, wrt=wrt)


def test_gradient_of_builtin_sum_over_rows_is_an_array():
    X = rng.normal(size=(2, 3))
    dX = s2sad.grad(P.builtin_sum_of_rows)(X, 0.5)
    assert type(dX) is np.ndarray and dX.shape == X.shape


def test_float64_gradient_of_a_float32_computation_is_float64():
    w, x = rng.normal(size=3), rng.normal(size=3).astype(np.float32)
    dw = s2sad.grad(P.computed_in_float32)(w, x)
    assert dw.dtype == np.float64
    np.testing.assert_allclose(dw, x, rtol=1e-6)
