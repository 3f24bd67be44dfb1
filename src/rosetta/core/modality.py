"""The kinds of media a stream can hold."""

from enum import StrEnum


class Modality(StrEnum):
    """A stream's modality."""

    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    POINTCLOUD = "pointcloud"
    TIMESERIES = "timeseries"

    @property
    def timed(self) -> bool:
        """Whether the stream has a duration on the reference timeline."""
        return self in (Modality.AUDIO, Modality.VIDEO, Modality.TIMESERIES)
