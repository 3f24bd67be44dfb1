"""Looking up a path that an imported document names. Python's `Path.is_file()`,
`Path.is_dir()` and `Path.exists()` raise `OSError` for a name the file system cannot hold
(a part over 255 bytes: ``ENAMETOOLONG``) or cannot look at; here such a path names
nothing, as a missing one does, so that a hostile name is "not found" rather than a crash.
Paths a reader listed itself (by glob) need none of this, unless it lengthens their names."""

import os
import stat
from pathlib import Path


def _mode(path: Path) -> int | None:
    """The mode of the file `path` names (links followed), or ``None`` for none."""
    try:
        return os.stat(path).st_mode
    except (OSError, ValueError):  # a name too long, a loop of links, a NUL
        return None


def is_file(path: Path) -> bool:
    """Whether `path` names a regular file."""
    mode = _mode(path)
    return mode is not None and stat.S_ISREG(mode)


def is_dir(path: Path) -> bool:
    """Whether `path` names a folder."""
    mode = _mode(path)
    return mode is not None and stat.S_ISDIR(mode)


def exists(path: Path) -> bool:
    """Whether `path` names anything."""
    return _mode(path) is not None
