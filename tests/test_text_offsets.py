"""Text spans count Unicode code points; UTF-16 and UTF-8 offsets convert at the edges.

Scripts with combining marks (Thai, Khmer, Vietnamese in NFD), CJK (BMP and astral) and
emoji (ZWJ sequences, flags) are where code units, bytes and code points part ways.
"""

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import TextSpan
from rosetta.core.modality import Modality
from rosetta.core.ontology import parse_ontology
from rosetta.core.schema import Annotation, Stream
from rosetta.core.text import (
    codepoint_to_utf8,
    codepoint_to_utf16,
    utf8_to_codepoint,
    utf16_to_codepoint,
)
from rosetta.core.validation import check_annotation

THAI = "ดื่มน้ำเย็น"  # "drink cold water": ด ื ่ ม น ้ ำ เ ย ็ น, 5 combining marks
KHMER = "ភាសាខ្មែរ"  # "Khmer language": ខ ្ ម (coeng subscript) ែ រ
VIETNAMESE = unicodedata.normalize("NFD", "Tiếng Việt")  # ế = e + U+0302 + U+0301
CJK = "日本語のテキスト𠮷野家"  # 𠮷 is U+20BB7, outside the BMP
EMOJI = "Astronaut 👩\u200d🚀 waves 🇺🇸!"  # woman-ZWJ-rocket, then two regional indicators


@pytest.mark.parametrize(
    ("text", "start", "end", "covered"),
    [
        pytest.param(THAI, 4, 7, "น้ำ", id="thai base with two marks"),
        pytest.param(THAI, 0, 4, "ดื่ม", id="thai base with stacked marks"),
        pytest.param(KHMER, 4, 9, "ខ្មែរ", id="khmer coeng cluster"),
        pytest.param(VIETNAMESE, 8, 14, unicodedata.normalize("NFD", "Việt"), id="vietnamese nfd"),
        pytest.param(CJK, 0, 3, "日本語", id="cjk bmp"),
        pytest.param(CJK, 8, 11, "𠮷野家", id="cjk astral"),
        pytest.param(EMOJI, 10, 13, "👩\u200d🚀", id="emoji zwj sequence"),
        pytest.param(EMOJI, 20, 22, "🇺🇸", id="flag"),
    ],
)
def test_spans_cover_code_points(text: str, start: int, end: int, covered: str) -> None:
    assert TextSpan(start=start, end=end).extract(text) == covered


def test_nfd_text_is_longer_than_nfc_and_offsets_follow_the_stored_form() -> None:
    nfc = unicodedata.normalize("NFC", VIETNAMESE)
    assert (len(nfc), len(VIETNAMESE)) == (10, 14)
    assert TextSpan(start=6, end=10).extract(nfc) == "Việt"
    assert TextSpan(start=0, end=5).extract(VIETNAMESE) == unicodedata.normalize("NFD", "Tiế")


@pytest.mark.parametrize("text", [THAI, KHMER, VIETNAMESE, CJK, EMOJI])
def test_a_span_to_the_last_code_point_is_inside_the_text(text: str) -> None:
    ontology = parse_ontology({"classes": [{"name": "word"}]})
    stream = Stream(id="t", name="t", modality=Modality.TEXT, text=text)
    inside = Annotation(id="a", stream="t", label="word", geometry=TextSpan(start=0, end=len(text)))
    check_annotation(inside, {"t": stream}, ontology)
    past = inside.model_copy(update={"geometry": TextSpan(start=0, end=len(text) + 1)})
    with pytest.raises(RuleViolation) as caught:
        check_annotation(past, {"t": stream}, ontology)
    assert (caught.value.rule, caught.value.field) == ("inside-bounds", "geometry.end")


# code point -> UTF-16 code unit -> UTF-8 byte, derived by hand from the characters' sizes
EMOJI_OFFSETS = [
    (0, 0, 0),
    (10, 10, 10),  # before 👩 (2 units, 4 bytes), ZWJ (1, 3), 🚀 (2, 4)
    (13, 15, 21),
    (14, 16, 22),
    (20, 22, 28),  # before 🇺 and 🇸 (2 units, 4 bytes each)
    (22, 26, 36),
    (23, 27, 37),
]


@pytest.mark.parametrize(("codepoint", "utf16", "utf8"), EMOJI_OFFSETS)
def test_emoji_offsets_convert_both_ways(codepoint: int, utf16: int, utf8: int) -> None:
    assert codepoint_to_utf16(EMOJI, codepoint) == utf16
    assert utf16_to_codepoint(EMOJI, utf16) == codepoint
    assert codepoint_to_utf8(EMOJI, codepoint) == utf8
    assert utf8_to_codepoint(EMOJI, utf8) == codepoint


@pytest.mark.parametrize(
    ("text", "codepoint", "utf16", "utf8"),
    [
        pytest.param(THAI, 4, 4, 12, id="thai: 3 bytes, 1 unit per code point"),
        pytest.param(KHMER, 5, 5, 15, id="khmer"),
        pytest.param(VIETNAMESE, 5, 5, 7, id="vietnamese: marks are 2 bytes"),
        pytest.param(CJK, 8, 8, 24, id="cjk before the astral char"),
        pytest.param(CJK, 9, 10, 28, id="cjk after the astral char"),
    ],
)
def test_script_offsets_convert_both_ways(text: str, codepoint: int, utf16: int, utf8: int) -> None:
    assert codepoint_to_utf16(text, codepoint) == utf16
    assert utf16_to_codepoint(text, utf16) == codepoint
    assert codepoint_to_utf8(text, codepoint) == utf8
    assert utf8_to_codepoint(text, utf8) == codepoint


@pytest.mark.parametrize(
    ("convert", "text", "offset", "message"),
    [
        pytest.param(utf16_to_codepoint, EMOJI, 11, "inside a character", id="utf16 mid surrogate"),
        pytest.param(utf16_to_codepoint, CJK, 9, "inside a character", id="utf16 mid astral cjk"),
        pytest.param(utf8_to_codepoint, THAI, 1, "inside a character", id="utf8 mid thai"),
        pytest.param(utf8_to_codepoint, EMOJI, 12, "inside a character", id="utf8 mid emoji"),
        pytest.param(utf16_to_codepoint, EMOJI, 28, "outside the text", id="utf16 past end"),
        pytest.param(utf16_to_codepoint, EMOJI, -1, "outside the text", id="utf16 negative"),
        pytest.param(utf8_to_codepoint, EMOJI, 38, "outside the text", id="utf8 past end"),
        pytest.param(codepoint_to_utf16, EMOJI, 24, "outside the text", id="codepoint past end"),
        pytest.param(codepoint_to_utf8, EMOJI, -1, "outside the text", id="codepoint negative"),
    ],
)
def test_offsets_inside_a_character_or_outside_the_text_are_refused(
    convert: Callable[[str, int], int], text: str, offset: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        convert(text, offset)


@given(st.text(), st.data())
def test_conversions_round_trip_on_any_text(text: str, data: st.DataObject) -> None:
    offset = data.draw(st.integers(min_value=0, max_value=len(text)))
    assert utf16_to_codepoint(text, codepoint_to_utf16(text, offset)) == offset
    assert utf8_to_codepoint(text, codepoint_to_utf8(text, offset)) == offset
    assert codepoint_to_utf16(text, offset) == len(text[:offset].encode("utf-16-le")) // 2
