"""Text offsets. Rosetta counts text offsets in Unicode code points of the stored text.

Browsers count UTF-16 code units and byte-oriented tools count UTF-8 bytes; these helpers
convert at those edges so the stored offsets never depend on an encoding.
"""


def utf16_to_codepoint(text: str, offset: int) -> int:
    """The code-point offset in `text` of UTF-16 code-unit offset `offset`."""
    units = 0
    for index, char in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    if units < offset:
        raise ValueError(f"UTF-16 offset {offset} is past the end of the text ({units} units)")
    return len(text)


def codepoint_to_utf16(text: str, offset: int) -> int:
    """The UTF-16 code-unit offset of code-point offset `offset` in `text`."""
    if not 0 <= offset <= len(text):
        raise ValueError(f"offset {offset} is outside the text (0..{len(text)})")
    return offset + sum(1 for char in text[:offset] if ord(char) > 0xFFFF)


def utf8_to_codepoint(text: str, offset: int) -> int:
    """The code-point offset in `text` of UTF-8 byte offset `offset`."""
    encoded = text.encode("utf-8")
    if not 0 <= offset <= len(encoded):
        raise ValueError(f"byte offset {offset} is outside the text (0..{len(encoded)})")
    try:
        return len(encoded[:offset].decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"byte offset {offset} falls inside a character") from exc
