"""Every public function and class of the API reference says its arguments, shapes and what it
returns, in one style (Google's, as mkdocstrings reads it): the rule is tests/docstrings.py's."""
import pytest

import docstrings


@pytest.mark.parametrize("module", docstrings.MODULES)
def test_every_public_name_documents_its_arguments_and_returns(module):
    assert docstrings.check(module) == []


def test_the_rule_finds_what_a_docstring_lacks():
    def undocumented(x, axis=None):
        return x

    def partly(x, *rest, scale=1.0, **options):
        """Scale x.

        Args:
            x: the values.
            scale: the factor.
        """
        return x * scale

    def documented(x):
        """Double x.

        Args:
            x (Tensor): the values.

        Returns:
            x twice, of x's shape.
        """
        return 2 * x

    def returns_nothing(x):
        """Print x.

        Args:
            x: what is printed.
        """
        print(x)

    assert docstrings.problems("undocumented", undocumented) == ["undocumented: no docstring"]
    assert docstrings.problems("partly", partly) == ["partly: Args lacks *rest, **options", "partly: no Returns"]
    assert docstrings.problems("documented", documented) == []
    assert docstrings.problems("returns_nothing", returns_nothing) == []

    from nn.layers import Layer

    class Doubling(Layer):
        """Doubles its input.

        Args:
            name: the layer's name.
            input_shape: the input's shape.
            dtype: its dtype.
        """

    assert docstrings.problems("Doubling", Doubling, Layer) == ["Doubling: no Shapes"]
