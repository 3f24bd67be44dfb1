"""CVAT for video 1.1 XML ("cvat-video"): read and write.

A file is one video: ``<annotations>``, ``<version>1.1</version>``, a ``<meta>`` block
(`rosetta.formats.cvat_xml`: labels, the task's ``start_frame``, ``stop_frame`` and
``frame_filter``, ``original_size``, ``<source>`` the video's name) and one ``<track id
label>`` per object, each holding its shape on each key frame (`rosetta.formats.cvat_video`
reads them).

**Frame numbers.** CVAT numbers the frames of a track by the video's own frame index:
a task over frames ``start_frame`` to ``stop_frame`` of the video taking every
``step``-th one (``frame_filter`` ``step=N``) annotates frames ``start_frame + k * step``,
and those are the numbers in the file. Rosetta frames are also the video's own 0-based
indices, so the numbers are kept as they are; a frame off that grid is an error naming the
line (CVAT cannot have made it), except an ``outside`` frame past ``stop_frame``, which
older CVAT versions write after a last shape and which says nothing (it is left out).
The grid is kept in the sample's ``metadata["cvat"]["task"]`` and written back; interpolation
between key frames is linear in either numbering, so key frames mean the same.

**Reading** (`read_videos`, `rosetta.formats.cvat_video_reader`): a file is one sample,
its video one stream:

- a ``box`` or ``polygon`` track is a `Track` annotation ``<stem>.<track id>``: ``outside``
  and ``occluded`` per key frame, ``keyframe="0"`` frames (CVAT's interpolated ones, in a
  dense dump) marked ``interpolated``, not key frames;
- a ``points``, ``skeleton`` or ``mask`` track (no Rosetta track holds those) is an `Entity`
  ``<stem>.<track id>`` (the track's label) whose members are one annotation
  ``<stem>.<track id>.<frame>`` per key frame where the object is in view (`Keypoints` or
  `Mask` on that frame, `rosetta.formats.cvat_shapes`); its ``outside`` key frames are kept
  in ``metadata["cvat"]["outside"][<entity id>]``; its interpolated frames are left out
  (CVAT computes them from the key frames);
- ``polyline``, ``ellipse`` and ``cuboid`` tracks are kept as they are in
  ``metadata["cvat"]["kept_as_is"]`` and written back.

Labels are kept as written (an empty one takes ``ReadOptions.default_label``). Attributes
are typed by the meta's input types; CVAT writes every attribute on every frame: a track's
annotation carries the values of its first frame, and when a (mutable) value changes along
the track, every frame's values are kept in ``metadata["cvat"]["frame_attributes"][<id>]``.
A ``<track>``'s other XML attributes at non-default values (``source="auto"``,
``group_id``, ...) go to ``metadata["cvat"]["tracks"][<id>]``. A frame's ``z_order`` is not
kept (CVAT draws by it; it holds no annotation). Annotations are
``Source(kind="import", name="cvat-video")``.

**Writing** (`write_videos`, `rosetta.formats.cvat_video_writer`): one file per video;
what CVAT cannot hold goes to ``not_carried.jsonl`` (`rosetta.formats.not_carried`), which
the reader puts back.
"""

from typing import Final

from rosetta.formats.cvat_video_reader import NAME, read_videos
from rosetta.formats.cvat_video_writer import write_videos
from rosetta.formats.interchange import PREFERENCES, FormatSpec

__all__ = ["NAME", "SPECS", "read_videos", "write_videos"]

SPECS: Final = (
    FormatSpec(
        name=NAME,
        title="CVAT for video 1.1 XML",
        read=read_videos,
        write=write_videos,
        not_carried=(
            "links",
            "entities other than per-frame shapes of one object",
            "intervals, transcripts and classifications",
            "annotations on non-video streams",
            PREFERENCES,
        ),
    ),
)
