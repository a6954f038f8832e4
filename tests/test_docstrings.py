"""The examples in docstrings run (modules whose examples need no source file)."""
import doctest

import pytest

import s2sad
from s2sad import check, errors, runtime
from s2sad.runtime import arrays, batch, linalg
from s2sad.rules import registry


@pytest.mark.parametrize("module", [s2sad, check, errors, runtime, batch, arrays, linalg,
                                    registry],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
