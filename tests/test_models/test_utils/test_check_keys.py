import pytest

from mmcrack.models.utils import check_keys


def test_known_keys_and_none_pass():
    check_keys(dict(a=1), ('a', 'b'), 'options')
    check_keys(None, ('a', ), 'options')


def test_unknown_keys_are_named_with_the_allowed_ones():
    with pytest.raises(ValueError, match=r"Unknown options \['c'\]; the "
                       r"keys are \['a', 'b'\]"):
        check_keys(dict(a=1, c=2), ('b', 'a'), 'options')
