"""Stream clocks: how a stream's native index (frame, audio sample, sweep, tick) maps to
the sample's reference timeline.

A clock first gives each index a *local* time in seconds, either

- from an exact rate: ``local(i) = offset + i / rate`` (``rate="30000/1001"`` for NTSC
  video, ``"16000"`` for 16 kHz audio, ``"10"`` for a 10 Hz LiDAR), or
- from a timestamp table: ``local(i) = offset + ticks[i] * time_base`` (video PTS read
  from the container with ``time_base="1/90000"``; sensor timestamps in nanoseconds with
  ``time_base="1/1000000000"``; variable frame rates need this form),

and then maps local time to reference time through its sync points: none means the
identity; one point is a constant shift; two or more define a piecewise-linear map
(extrapolated beyond the ends with the slope of the nearest segment), which models drift.
Index ``i`` covers the half-open local interval from its own time to the next index's.
"""

import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rosetta.core.timebase import ExactRate, ExactTime, exact

SyncSource = Literal["hardware", "timestamps", "audio", "manual"]


class SyncPoint(BaseModel):
    """Local time ``local`` of the stream is reference time ``reference``.

    ``source`` says how the correspondence was found, ``confidence`` how sure the method
    was (0..1), ``note`` the provenance (which streams, which method, what it measured).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    local: ExactTime
    reference: ExactTime
    source: SyncSource = "manual"
    confidence: float | None = Field(default=None, ge=0, le=1)
    note: str | None = None


class Clock(BaseModel):
    """The clock of one stream: a rate or a timestamp table, an offset, sync points."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rate: ExactRate | None = None
    time_base: ExactRate | None = None
    ticks: list[int] | None = None
    offset: ExactTime = "0"
    sync: list[SyncPoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_form(self) -> "Clock":
        if (self.rate is None) == (self.ticks is None):
            raise ValueError("a clock has either a rate or a timestamp table (ticks), not both")
        if self.ticks is not None:
            if self.time_base is None:
                raise ValueError("a timestamp table needs its time_base (seconds per tick)")
            if not self.ticks:
                raise ValueError("a timestamp table needs at least one tick")
            for index, (before, after) in enumerate(itertools.pairwise(self.ticks)):
                if after <= before:
                    raise ValueError(
                        f"ticks must increase: ticks[{index + 1}] = {after} "
                        f"follows ticks[{index}] = {before}"
                    )
        elif self.time_base is not None:
            raise ValueError("time_base belongs to a timestamp table; a rate clock has none")
        for index, (first, second) in enumerate(itertools.pairwise(self.sync)):
            if exact(second.local) <= exact(first.local) or exact(second.reference) <= exact(
                first.reference
            ):
                raise ValueError(
                    f"sync points must increase in both local and reference time "
                    f"(sync[{index}] then sync[{index + 1}])"
                )
        return self
