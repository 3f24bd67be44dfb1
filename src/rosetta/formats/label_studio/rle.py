"""Label Studio's brush masks: its run-length code, to and from COCO RLE (`Mask`).

A ``brushlabels`` result holds ``value.rle``, a list of bytes in the bit-packed run-length
code of thi.ng's ``rle-pack`` (the code Label Studio's frontend and its SDK's
``converter/brush.py`` use), encoding the mask as an RGBA image, row by row, four bytes
a pixel. Read as a bit stream, most significant bit first: the number of values (32
bits), the word size minus one (5 bits), four run-length field sizes minus one (4 bits
each), then blocks: a flag bit, a 2-bit index into the field sizes, a length minus one in
that many bits, then one word repeated (flag 1) or that many words (flag 0).

A pixel belongs to the mask where its alpha byte is not 0, as the SDK's COCO export takes
it. Writing paints the mask's pixels ``(255, 255, 255, 255)``, as the SDK's ``mask2rle``
does, with the SDK's field sizes (3, 4, 8 and 16 bits).

No library reads this code in Python apart from the Label Studio SDK, which is not a
dependency (it pulls in a web client); the code is small enough to state here.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from rosetta.core.geometry import Rle

_SIZES = (3, 4, 8, 16)


class _Bits:
    """Reads unsigned numbers from a string of ``0`` and ``1``."""

    def __init__(self, data: bytes) -> None:
        self.text = format(int.from_bytes(data, "big"), f"0{len(data) * 8}b") if data else ""
        self.at = 0

    def read(self, count: int) -> int:
        end = self.at + count
        if end > len(self.text):
            raise ValueError(f"the code ends inside a field (bit {self.at} of {len(self.text)})")
        value = int(self.text[self.at : end], 2)
        self.at = end
        return value


def decode_values(code: Sequence[int]) -> NDArray[np.uint32]:
    """The values (RGBA bytes for a brush) that Label Studio's run-length `code` holds."""
    if any(not 0 <= byte <= 255 for byte in code):
        raise ValueError("the code must be a list of bytes (0 to 255)")
    bits = _Bits(bytes(code))
    count = bits.read(32)
    word = bits.read(5) + 1
    sizes = [bits.read(4) + 1 for _ in range(4)]
    values: list[int] = []
    lengths: list[int] = []
    done = 0
    while done < count:
        repeated = bits.read(1)
        length = bits.read(sizes[bits.read(2)]) + 1
        if repeated:
            values.append(bits.read(word))
            lengths.append(length)
        else:
            values += [bits.read(word) for _ in range(length)]
            lengths += [1] * length
        done += length
    if done != count:
        raise ValueError(f"the runs hold {done} values, the header says {count}")
    return np.repeat(np.array(values, dtype=np.uint32), lengths)


def brush_to_rle(code: Sequence[int], width: int, height: int) -> Rle:
    """The COCO RLE (compressed) of the brush mask `code` on a ``width`` x ``height`` image."""
    values = decode_values(code)
    if values.size != width * height * 4:
        raise ValueError(
            f"the mask holds {values.size} values; a {width}x{height} RGBA image has "
            f"{width * height * 4}"
        )
    return Rle.from_array((values[3::4] != 0).reshape(height, width))


def rle_to_brush(rle: Rle) -> list[int]:
    """Label Studio's brush code of the COCO RLE mask `rle`."""
    height, width = rle.size
    runs = np.asarray(rle.runs(), dtype=np.int64)
    bits = np.repeat(np.arange(runs.size, dtype=np.uint8) % 2, runs)  # column by column
    mask = bits.reshape(width, height).T
    return encode_values(np.repeat(mask.reshape(-1) * np.uint8(255), 4))


def encode_values(values: NDArray[np.uint8]) -> list[int]:
    """Label Studio's run-length code of the bytes `values` (runs, never literals)."""
    bits = [f"{values.size:032b}", f"{8 - 1:05b}", *(f"{size - 1:04b}" for size in _SIZES)]
    if values.size:
        starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
        lengths = np.diff(np.r_[starts, values.size])
        for value, length in zip(values[starts].tolist(), lengths.tolist(), strict=True):
            left = length
            while left > 0:
                run = min(left, 1 << _SIZES[-1])
                index = next(i for i, size in enumerate(_SIZES) if run <= 1 << size)
                bits.append(f"1{index:02b}{run - 1:0{_SIZES[index]}b}{value:08b}")
                left -= run
    text = "".join(bits)
    text += "0" * (-len(text) % 8)
    return list(int(text, 2).to_bytes(len(text) // 8, "big")) if text else []
