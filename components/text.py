"""Small helpers for the sentences that error messages are made of."""

from collections.abc import Sequence


def one_of(names: Sequence[str]) -> str:
    """'a', 'a or b', 'a, b or c': a list of choices as a sentence says it."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def whole_number(value: float) -> int | float:
    """4.0 -> 4, so whole sizes read as people write them."""
    return int(value) if float(value).is_integer() else value
