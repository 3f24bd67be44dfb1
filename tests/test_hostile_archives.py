"""Zip archives that lie, as uploads are unpacked (`rosetta.services.uploads`): a member
that declares a small size and inflates far past the limit (a high-ratio bomb), an end
record that claims millions of members (plain and ZIP64), a zip inside the zip (kept as a
file, never unpacked), two members of one name, a member that is a file and a folder, and
a member larger than one may be (declaring it, or lying that it is smaller). Each is
refused with a `RuleViolation` naming the archive and the rule, nothing of it kept, and no
more than the limit ever written.

Absolute and ``..`` paths, links, a bomb that declares its size, too many members and a
corrupt member are refused over HTTP in test_foreign_format_upload.py.
"""

import io
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from rosetta.core.errors import RuleViolation
from rosetta.services.settings import Settings
from rosetta.services.uploads import extract_zip, unpack_upload

LIMIT = 1 << 20
MEMBERS = 50


def _zip(*members: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicate name is the point of one test
        for name, content in members:
            archive.writestr(name, content)
    return out.getvalue()


def _lying(content: bytes, declared: int) -> bytes:
    """A zip of one member `content` whose headers declare `declared` bytes inflated."""
    data = bytearray(_zip(("bomb.json", content)))
    real = struct.pack("<L", len(content))
    fake = struct.pack("<L", declared)
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    assert data[local + 22 : local + 26] == real and data[central + 24 : central + 28] == real
    data[local + 22 : local + 26] = fake
    data[central + 24 : central + 28] = fake
    return bytes(data)


def _claiming(members: int, *, zip64: bool = False) -> bytes:
    """A small zip whose end record (or ZIP64 end record) claims `members` members."""
    data = bytearray(_zip(("a.json", b"{}")))
    end = data.rindex(b"PK\x05\x06")
    if not zip64:
        data[end + 8 : end + 12] = struct.pack("<HH", members, members)
        return bytes(data)
    directory_size, directory_at = struct.unpack_from("<LL", data, end + 12)
    record = b"PK\x06\x06" + struct.pack(
        "<QHHLLQQQQ", 44, 45, 45, 0, 0, members, members, directory_size, directory_at
    )
    locator = b"PK\x06\x07" + struct.pack("<LQL", 0, end, 1)
    return bytes(data[:end]) + record + locator + bytes(data[end:])


def _extract(body: bytes, tmp_path: Path, member_limit: int | None = None) -> Path:
    """`body` extracted as an upload, one member at most `member_limit` bytes (default:
    the setting's)."""
    archive = tmp_path / "up.zip"
    archive.write_bytes(body)
    target = tmp_path / "out"
    extract_zip(
        archive,
        target,
        max_members=MEMBERS,
        max_bytes=LIMIT,
        max_member_bytes=member_limit or Settings().max_archive_member_bytes,
        name="up.zip",
    )
    return target


def _refused(body: bytes, tmp_path: Path, member_limit: int | None = None) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        _extract(body, tmp_path, member_limit)
    assert refused.value.obj == "up.zip"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["up.zip"]
    return refused.value


@pytest.mark.parametrize("declared", [10, 0])
def test_a_bomb_that_lies_about_its_size_is_refused(tmp_path: Path, declared: int) -> None:
    body = _lying(b"\0" * (8 * LIMIT), declared)
    assert len(body) < LIMIT / 50  # a ratio of more than 400 to 1

    refused = _refused(body, tmp_path)

    assert refused.rule in ("archive-size", "archive-readable"), refused


@pytest.mark.parametrize("zip64", [False, True], ids=["end-record", "zip64"])
def test_an_archive_claiming_millions_of_members_is_refused_before_its_directory_is_read(
    tmp_path: Path, zip64: bool
) -> None:
    claimed = 0xFFFF if not zip64 else 10**9

    refused = _refused(_claiming(claimed, zip64=zip64), tmp_path)

    assert (refused.rule, refused.field) == ("archive-members", "members")
    assert f"{claimed} members" in refused.detail


def test_a_zip_inside_the_zip_is_kept_as_a_file_and_never_unpacked(tmp_path: Path) -> None:
    inner = _zip(("bomb.json", b"\0" * (4 * LIMIT)))
    body = _zip(("inner.zip", inner), ("a.json", b"{}"))

    target = _extract(body, tmp_path)

    assert sorted(p.name for p in target.iterdir()) == ["a.json", "inner.zip"]
    assert (target / "inner.zip").read_bytes() == inner
    assert sum(p.stat().st_size for p in target.rglob("*")) < LIMIT


@pytest.mark.parametrize(
    "members",
    [
        (("a.json", b"{}"), ("a.json", b"[]")),
        (("a", b"file"), ("a/b.json", b"{}")),
    ],
    ids=["same-name", "file-and-folder"],
)
def test_members_that_clash_are_refused(
    tmp_path: Path, members: tuple[tuple[str, bytes], ...]
) -> None:
    refused = _refused(_zip(*members), tmp_path)

    assert refused.rule == "archive-path"


def test_an_upload_that_is_a_lying_bomb_leaves_nothing(tmp_path: Path) -> None:
    received = tmp_path / "received"
    received.write_bytes(_lying(b"\0" * (8 * LIMIT), 10))

    with pytest.raises(RuleViolation):
        unpack_upload(received, tmp_path / "upload", "up.zip", max_members=MEMBERS, max_bytes=LIMIT)

    assert list(tmp_path.iterdir()) == []


#: The per-member limit of the tests below, set as a server sets it (well under `LIMIT`).
MEMBER_SETTINGS = Settings(max_archive_member_bytes=64 << 10)
MEMBER_LIMIT = MEMBER_SETTINGS.max_archive_member_bytes


def test_a_member_up_to_the_member_limit_is_extracted(tmp_path: Path) -> None:
    content = b"x" * MEMBER_LIMIT

    target = _extract(_zip(("a.json", b"{}"), ("big.bin", content)), tmp_path, MEMBER_LIMIT)

    assert (target / "big.bin").read_bytes() == content


def test_a_member_declaring_more_than_the_member_limit_is_refused(tmp_path: Path) -> None:
    body = _zip(("a.json", b"{}"), ("big.bin", b"x" * (MEMBER_LIMIT + 1)))

    refused = _refused(body, tmp_path, MEMBER_LIMIT)

    assert (refused.rule, refused.field) == ("archive-member-size", "members['big.bin']")
    assert f"limit of {MEMBER_LIMIT} bytes" in refused.detail
    assert "ROSETTA_MAX_ARCHIVE_MEMBER_BYTES" in refused.detail


@pytest.mark.parametrize("declared", [10, 0])
def test_a_member_lying_that_it_is_under_the_member_limit_is_refused(
    tmp_path: Path, declared: int
) -> None:
    body = _lying(b"\0" * (8 * MEMBER_LIMIT), declared)
    assert 8 * MEMBER_LIMIT < LIMIT  # only the member limit is passed

    refused = _refused(body, tmp_path, MEMBER_LIMIT)

    # zipfile stops at the declared size and then finds the checksum wrong
    assert refused.rule in ("archive-member-size", "archive-readable"), refused
    assert refused.field == "members['bomb.json']"


def test_an_upload_with_a_member_over_the_member_limit_leaves_nothing(tmp_path: Path) -> None:
    received = tmp_path / "received"
    received.write_bytes(_zip(("big.bin", b"x" * (MEMBER_LIMIT + 1))))

    with pytest.raises(RuleViolation) as refused:
        unpack_upload(
            received,
            tmp_path / "upload",
            "up.zip",
            max_members=MEMBERS,
            max_bytes=LIMIT,
            max_member_bytes=MEMBER_LIMIT,
        )

    assert (refused.value.rule, refused.value.field) == (
        "archive-member-size",
        "members['big.bin']",
    )
    assert list(tmp_path.iterdir()) == []
