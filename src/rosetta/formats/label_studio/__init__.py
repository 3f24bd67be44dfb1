"""Label Studio JSON: the export of a Label Studio project (a list of tasks) read as
samples, and samples written as tasks Label Studio imports.

A task is ``data`` (the media's URLs or the text, by the names the labeling config gives
them: ``$image``), ``annotations`` (one per annotator) and ``predictions`` (one per model
run), each a ``result`` list. What each becomes:

- a task -> a sample, id ``<file stem>.<task id>``, external id the media's file name
  (or the ``meta.external_id`` this writer puts there);
- a data field a result is drawn on (its ``to_name``, or ``$field`` in ``source``) -> a
  stream named after the field; an image's size comes from the results'
  ``original_width``/``original_height``, audio's length from ``original_length``, the
  rest by probing the file found under the media root (the URL's path, then each shorter
  tail of it); inline text is the stream's text;
- an annotation -> annotations with ``author`` = its ``completed_by`` (the e-mail, else the
  user id) and source ``import``/``label-studio``; a prediction -> model candidates,
  source name ``model_version``, confidence the result's ``score`` (else the prediction's);
- results with one region id -> one annotation per label of the region (the second one's
  id ends in ``.2``): ``rectanglelabels`` -> `Box` (a ``rotation`` -> the `Polygon` of the
  turned rectangle), ``polygonlabels`` -> `Polygon`, ``keypointlabels`` -> one-point
  `Keypoints` (visibility 2), ``brushlabels`` -> `Mask` (Label Studio's RLE decoded,
  `rle`), ``ellipselabels`` -> the `Polygon` of vertices on the ellipse,
  ``vectorlabels`` -> a `Polygon` (a closed path) or `Keypoints` along it (an open path, a
  polyline), ``labels`` on text -> `TextSpan` (offsets checked against the
  region's ``text``; UTF-16 offsets of older versions converted), ``labels`` on audio ->
  `Interval` (seconds), ``videorectangle`` -> `Track` (frames 1-based -> 0-based;
  ``enabled: false`` -> an outside key frame on the next frame);
- ``choices``/``textarea``/``number``/``rating`` sharing a region's id -> that
  annotation's attributes, named by ``from_name`` (one choice -> the value, several -> a
  list); but the first ``textarea`` on an audio region is its transcript, and the region
  becomes a `TranscriptSegment`;
- ``choices`` on the whole task -> a `Classification` of the stream per choice; a
  ``textarea`` on a whole audio -> a transcript of all of it; any other control on the
  whole task -> a classification labelled with the control's name, its value the
  attribute of that name;
- ``relation`` -> a link per label (unlabelled: type ``relation``), ``right``: from ->
  to, ``left``: to -> from, ``bi``: from -> to (the ontology says whether a relation type
  is directed). A relation from a region to itself is kept in the sample's metadata.

Percentages convert exactly (`coords`); what Rosetta needs to write the same
task back (the task id, other data fields, object and control names, percentages a pixel
double cannot give back) is kept in the sample's ``metadata.label_studio``.

Not read (an error naming the result): other result types (HTML or paragraph labels,
time-series, timeline labels, taxonomies, rankers), Bézier and branching vector paths. Not
carried on write (``not_carried.jsonl``, `rosetta.formats.not_carried`, which the reader
puts back): entities, links between different annotators' regions or to what is not
written, link attributes and status, true/false attributes, attributes of
classifications, transcript word timings, multi-point keypoints (but polylines), shapes
on single video frames, polygon tracks other than rotated rectangles, cuboids, intervals
on video. Lost: occlusion flags, keypoint visibility,
``parentID``, audio channels, ``ground_truth``. Beside ``tasks.json`` the writer puts
``label_config.xml``, a labeling configuration for the project to import them into.
"""

from rosetta.formats.interchange import PREFERENCES, FormatSpec
from rosetta.formats.label_studio.read import read_label_studio
from rosetta.formats.label_studio.write import write_label_studio

SPECS = (
    FormatSpec(
        name="label-studio",
        title="Label Studio JSON (tasks with annotations and predictions)",
        read=read_label_studio,
        write=write_label_studio,
        not_carried=(
            "entities",
            "links across annotators",
            "true/false attributes",
            "word timings",
            "multi-point keypoints",
            "single-frame shapes on video",
            "cuboids",
            "occlusion",
            PREFERENCES,
        ),
    ),
)
