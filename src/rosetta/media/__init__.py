"""Media access: probing local media files for what the schema's `MediaInfo` records."""

from rosetta.media.probe import local_path, probe

__all__ = ["local_path", "probe"]
