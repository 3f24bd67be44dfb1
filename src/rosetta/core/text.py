"""Text offsets. Rosetta counts text offsets in Unicode code points of the stored text.

Browsers count UTF-16 code units and byte-oriented tools count UTF-8 bytes; these helpers
convert at those edges so the stored offsets never depend on an encoding. An offset that
falls inside a character (between the bytes of one UTF-8 sequence, or between the two
halves of a UTF-16 surrogate pair) is refused, never rounded.
"""

from typing import Literal

_Encoding = Literal["utf-8", "utf-16-le"]
_UNIT = {"utf-8": 1, "utf-16-le": 2}
_NAME = {"utf-8": "UTF-8 byte", "utf-16-le": "UTF-16 code-unit"}


def _to_codepoint(text: str, offset: int, encoding: _Encoding) -> int:
    unit = _UNIT[encoding]
    encoded = text.encode(encoding)
    size = len(encoded) // unit
    if not 0 <= offset <= size:
        raise ValueError(f"{_NAME[encoding]} offset {offset} is outside the text (0..{size})")
    try:
        return len(encoded[: offset * unit].decode(encoding))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{_NAME[encoding]} offset {offset} falls inside a character") from exc


def _from_codepoint(text: str, offset: int, encoding: _Encoding) -> int:
    if not 0 <= offset <= len(text):
        raise ValueError(f"code-point offset {offset} is outside the text (0..{len(text)})")
    return len(text[:offset].encode(encoding)) // _UNIT[encoding]


def utf16_to_codepoint(text: str, offset: int) -> int:
    """The code-point offset in `text` of UTF-16 code-unit offset `offset`."""
    return _to_codepoint(text, offset, "utf-16-le")


def codepoint_to_utf16(text: str, offset: int) -> int:
    """The UTF-16 code-unit offset of code-point offset `offset` in `text`."""
    return _from_codepoint(text, offset, "utf-16-le")


def utf8_to_codepoint(text: str, offset: int) -> int:
    """The code-point offset in `text` of UTF-8 byte offset `offset`."""
    return _to_codepoint(text, offset, "utf-8")


def codepoint_to_utf8(text: str, offset: int) -> int:
    """The UTF-8 byte offset of code-point offset `offset` in `text`."""
    return _from_codepoint(text, offset, "utf-8")
