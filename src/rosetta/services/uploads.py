"""Uploaded files to import: a file kept under its own name, or a ``.zip`` archive of a
folder unpacked safely (`unpack_upload`, `extract_zip`).

Every member is checked before anything is written: a name that is absolute (``/x``,
``C:x``), holds ``..``, ``\\`` or a NUL, a symbolic link, an encrypted member, no file at
all, more members than allowed (counted from the archive's end record before its directory
is read, so a directory of millions of entries is never loaded), or more bytes in all or in
one member than allowed (what the archive declares, and again what its members really
inflate to: a zip bomb may lie about its sizes) refuses the whole archive with an error
naming the member and the rule.
The members are written into a ``.part`` folder beside the target and renamed once all
are out, so the target holds the whole archive or does not exist.
"""

import shutil
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rosetta.core.errors import RuleViolation
from rosetta.services.settings import Settings

#: Bytes copied at a time out of a member.
_CHUNK = 1 << 20
#: The largest central directory read (its entries' names and extra fields).
MAX_DIRECTORY_BYTES = 64 << 20
#: The end record's signature and size, and how far before the end it may start (its
#: comment is at most 64 KiB).
_END = b"PK\x05\x06"
_END_SIZE = 22
_END_SEARCH = _END_SIZE + (1 << 16)
#: The ZIP64 end record locator (right before the end record) and the ZIP64 end record.
_LOCATOR = b"PK\x06\x07"
_LOCATOR_SIZE = 20
_END64 = b"PK\x06\x06"
#: The most bytes one member may inflate to unless told (``ROSETTA_MAX_ARCHIVE_MEMBER_BYTES``).
_MEMBER_BYTES: int = Settings.model_fields["max_archive_member_bytes"].default


class ArchiveTooLarge(RuleViolation):
    """The archive inflates to more bytes than allowed (nothing of it is kept)."""

    def __init__(self, archive: str, limit: int) -> None:
        super().__init__(
            archive,
            "members",
            "archive-size",
            f"the members inflate to more than the limit of {limit} bytes "
            f"({limit / (1 << 20):.1f} MiB, ROSETTA_MAX_UPLOAD_BYTES)",
        )


class ArchiveMemberTooLarge(RuleViolation):
    """A member inflates to more bytes than one may (nothing of the archive is kept)."""

    def __init__(self, archive: str, member: str, limit: int) -> None:
        super().__init__(
            archive,
            f"members[{member!r}]",
            "archive-member-size",
            f"inflates to more than the limit of {limit} bytes for one member "
            f"({limit / (1 << 20):.1f} MiB, ROSETTA_MAX_ARCHIVE_MEMBER_BYTES)",
        )


def unpack_upload(
    received: Path,
    folder: Path,
    filename: str,
    *,
    max_members: int,
    max_bytes: int,
    max_member_bytes: int = _MEMBER_BYTES,
) -> Path:
    """Put the uploaded file `received` into the new folder `folder` and say what to
    import: a zip archive (known by its content, not its name) is extracted there
    (`extract_zip`) and the folder is the source, or its one sub-folder when it holds
    nothing else (an archive of a folder); any other file is moved there as `filename`
    (its base name only, so ids a reader derives from it are the file's own) and is the
    source. `received` is gone afterwards, and nothing is left behind on failure."""
    try:
        if zipfile.is_zipfile(received):
            extract_zip(
                received,
                folder,
                max_members=max_members,
                max_bytes=max_bytes,
                max_member_bytes=max_member_bytes,
                name=filename,
            )
            entries = list(folder.iterdir())
            if len(entries) == 1 and entries[0].is_dir():
                return entries[0]
            return folder
        folder.mkdir(parents=True)
        target = folder / upload_name(filename)
        received.rename(target)
        return target
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        received.unlink(missing_ok=True)


def upload_name(filename: str) -> str:
    """The name to keep an uploaded file under: `filename` itself, which must be a plain
    file name (a `RuleViolation` otherwise)."""
    if (
        not filename
        or len(filename.encode()) > 255
        or filename in (".", "..")
        or any(character in filename for character in "/\\\x00")
    ):
        raise RuleViolation(
            "upload",
            "filename",
            "upload-filename",
            f"{filename!r} is not a file name (1-255 bytes, no '/', '\\' or NUL, not '.' or '..')",
        )
    return filename


def extract_zip(
    archive: Path,
    target: Path,
    *,
    max_members: int,
    max_bytes: int,
    max_member_bytes: int = _MEMBER_BYTES,
    name: str | None = None,
) -> None:
    """Extract the zip file `archive` into the folder `target` (which must not exist), or
    raise a `RuleViolation` naming the archive (`name`, else its path), the member and what
    is wrong, leaving nothing behind. `max_members` and `max_bytes` bound the number of
    members and the bytes they inflate to (`ArchiveTooLarge`), `max_member_bytes` the bytes
    one member inflates to (`ArchiveMemberTooLarge`)."""
    label = name or str(archive)
    part = target.with_name(target.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    try:
        _check_directory(archive, label, max_members=max_members)
        with zipfile.ZipFile(archive) as opened:
            limits = _Limits(max_members, max_bytes, max_member_bytes)
            members = _checked(opened, label, limits)
            part.mkdir(parents=True)
            extraction = _Extraction(opened, part, label, limits)
            for member in members:
                extraction.write(member)
        part.rename(target)
    except zipfile.BadZipFile as exc:
        raise RuleViolation(
            label, "archive", "archive-readable", f"not a readable zip: {exc}"
        ) from None
    finally:
        shutil.rmtree(part, ignore_errors=True)


def _check_directory(archive: Path, label: str, *, max_members: int) -> None:
    """Refuse an archive whose end record declares too many members or too large a
    directory, before `zipfile` reads the directory into memory."""
    with archive.open("rb") as handle:
        size = handle.seek(0, 2)
        start = max(0, size - _END_SEARCH)
        handle.seek(start)
        tail = handle.read()
        at = tail.rfind(_END)
        if at < 0 or len(tail) - at < _END_SIZE:
            raise zipfile.BadZipFile("no end of central directory record")
        entries, directory = struct.unpack_from("<xxxxxxxxxxHL", tail, at)
        locator = at - _LOCATOR_SIZE
        if locator >= 0 and tail[locator : locator + 4] == _LOCATOR:
            (offset,) = struct.unpack_from("<Q", tail, locator + 8)
            handle.seek(offset)
            record = handle.read(56)
            if len(record) == 56 and record[:4] == _END64:
                entries, directory = struct.unpack_from("<QQ", record, 32)
    _check_count(label, entries, max_members)
    if directory > MAX_DIRECTORY_BYTES:
        raise RuleViolation(
            label,
            "members",
            "archive-members",
            f"its directory takes {directory} bytes; at most {MAX_DIRECTORY_BYTES} are read",
        )


def _check_count(label: str, count: int, max_members: int) -> None:
    if count > max_members:
        raise RuleViolation(
            label,
            "members",
            "archive-members",
            f"{count} members; at most {max_members} are taken (ROSETTA_ARCHIVE_MEMBERS)",
        )


@dataclass(frozen=True)
class _Limits:
    """How many members an archive may hold and how many bytes they, and each, inflate to."""

    members: int
    total_bytes: int
    member_bytes: int


def _checked(opened: zipfile.ZipFile, label: str, limits: _Limits) -> list[zipfile.ZipInfo]:
    members = opened.infolist()
    _check_count(label, len(members), limits.members)
    declared = 0
    for member in members:
        where = f"members[{member.filename!r}]"
        problem = _name_problem(member.filename)
        if problem is not None:
            raise RuleViolation(label, where, "archive-path", problem)
        if stat.S_ISLNK(member.external_attr >> 16):
            raise RuleViolation(
                label, where, "archive-link", "a symbolic link; archives may hold files only"
            )
        if member.flag_bits & 0x1:
            raise RuleViolation(label, where, "archive-encrypted", "encrypted; send it unencrypted")
        if member.file_size > limits.member_bytes:
            raise ArchiveMemberTooLarge(label, member.filename, limits.member_bytes)
        declared += member.file_size
        if declared > limits.total_bytes:
            raise ArchiveTooLarge(label, limits.total_bytes)
    if all(member.is_dir() for member in members):
        raise RuleViolation(label, "members", "archive-empty", "holds no files")
    return members


def _name_problem(name: str) -> str | None:
    """What makes `name` unsafe to extract, or None."""
    if "\x00" in name or "\\" in name:
        return "holds a NUL or '\\'; member paths use '/'"
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return "an absolute path; members must lie inside the archive's folder"
    if ".." in path.parts:
        return "holds '..'; members must lie inside the archive's folder"
    return None


class _Extraction:
    """The members of one archive being written into `folder`, counting the bytes."""

    def __init__(self, opened: zipfile.ZipFile, folder: Path, label: str, limits: _Limits):
        self.opened = opened
        self.folder = folder
        self.label = label
        self.limits = limits
        self.written = 0

    def write(self, member: zipfile.ZipInfo) -> None:
        """Write `member` under the folder (raising past a byte limit: the bytes really
        inflated are counted, whatever the member declares)."""
        where = f"members[{member.filename!r}]"
        path = self.folder.joinpath(*PurePosixPath(member.filename).parts)
        try:
            if member.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            out = path.open("xb")
        except OSError:
            raise RuleViolation(
                self.label, where, "archive-path", "clashes with another member of the same path"
            ) from None
        inflated = 0
        with out:
            for chunk in self._read(member, where):
                inflated += len(chunk)
                self.written += len(chunk)
                if inflated > self.limits.member_bytes:
                    raise ArchiveMemberTooLarge(
                        self.label, member.filename, self.limits.member_bytes
                    )
                if self.written > self.limits.total_bytes:
                    raise ArchiveTooLarge(self.label, self.limits.total_bytes)
                out.write(chunk)

    def _read(self, member: zipfile.ZipInfo, where: str) -> Iterator[bytes]:
        """The inflated bytes of `member`, a chunk at a time; a member that cannot be read
        (a bad checksum, corrupt data, an unknown compression) is a `RuleViolation`."""
        try:
            with self.opened.open(member) as source:
                while chunk := source.read(_CHUNK):
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
            raise RuleViolation(
                self.label, where, "archive-readable", f"cannot be read: {exc}"
            ) from None
