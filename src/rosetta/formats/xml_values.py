"""How the XML formats (VOC, CVAT) write values as text: numbers in their shortest exact
form (``3``, ``2.5``: a whole float without its ``.0``) and attribute values (``true`` /
``false``, numbers, text)."""


def number(value: float) -> str:
    """A coordinate or attribute number in its shortest exact form (``3``, ``2.5``)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def value_text(value: object) -> str:
    """An attribute value as text: ``true``/``false``, a float by `number`, anything else
    as it prints (an integer exactly)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return number(value) if isinstance(value, float) else str(value)
