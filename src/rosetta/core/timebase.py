"""Exact times and rates: the value types every clock, sync point and pose is written in.

A time is seconds on a timeline, held as a `Fraction` and written as a string: a decimal
when the fraction has one (``"14.327"``), otherwise ``"num/den"`` (``"1001/30000"``).
Inputs may be ints, decimal strings, fraction strings, `Fraction`s or floats; a float
means its shortest decimal form (``14.327`` is exactly 14327/1000, not the binary double
next to it), so a time typed by a person or read from JSON keeps the value it was given.
"""

import math
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BeforeValidator

TimeLike = Fraction | int | float | str | Decimal


def exact(value: TimeLike) -> Fraction:
    """`value` as an exact fraction (floats by their shortest decimal form).

    Raises `ValueError` for anything that is not a finite number.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a number of seconds, got {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
        # float(): numpy's float64 is a float subclass whose repr is "np.float64(...)"
        return Fraction(repr(float(value)))
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        raise ValueError(
            f"expected a number like 14.327 or a fraction like '1001/30000', got {value!r}"
        ) from exc


def format_exact(value: Fraction) -> str:
    """`value` as the shortest exact string: a decimal when there is one, else ``num/den``."""
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = abs(value.numerator) * (10**places // value.denominator)
    digits = str(scaled).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _canonical(value: Any) -> str:
    return format_exact(exact(value))


def _canonical_positive(value: Any) -> str:
    number = exact(value)
    if number <= 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return format_exact(number)


#: A time in seconds, stored in its canonical exact string form.
ExactTime = Annotated[str, BeforeValidator(_canonical)]

#: A positive exact number (a rate in units per second, or a time base in seconds per tick).
ExactRate = Annotated[str, BeforeValidator(_canonical_positive)]
