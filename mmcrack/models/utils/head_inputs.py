"""Arguments shared by the decode heads that read several feature levels."""


def multiple_select_kwargs(head: str, kwargs: dict) -> dict:
    """Set ``input_transform='multiple_select'`` in a head's ``kwargs``.

    The heads of CrackSeg, Context-CrackNet and WP-CrackNet use each input
    level on its own (skips, fusion), so mmseg's other transforms
    (``resize_concat``, None) cannot apply; asking for one is an error
    rather than a clash of keyword arguments.

    Args:
        head (str): The head's class name, for the error message.
        kwargs (dict): Its ``BaseDecodeHead`` keyword arguments, updated
            in place.

    Returns:
        dict: ``kwargs``.
    """
    transform = kwargs.setdefault('input_transform', 'multiple_select')
    if transform != 'multiple_select':
        raise ValueError(
            f'{head} uses each input level on its own: input_transform must '
            f"be 'multiple_select' (its default), not {transform!r}.")
    return kwargs
