"""Reading a YOLO dataset: one sample per image.

A sample's id is the image's stem, its ``external_id`` the image's file name; it has one
image stream ``<stem>.image`` whose URI is relative to the media root when inside it (else
absolute), and the split in the metadata (``{"yolo": {"split": "train"}}``). Image sizes
come from the images, probed (`rosetta.media.probe`; an image that cannot be read is an
error naming the label file and the image). **A label file whose image is not found is an
error naming that label file**: normalised coordinates cannot be turned into pixels without
the size (there is no sizes option). Image orientation tags (EXIF) are not applied.
"""

from collections.abc import Iterator
from pathlib import Path

from rosetta.core.modality import Modality
from rosetta.core.schema import Sample, Stream
from rosetta.formats.found_media import probe_found
from rosetta.formats.interchange import ForeignSample, Origin, ReadOptions
from rosetta.formats.not_carried import read_back
from rosetta.formats.yolo.dataset import METADATA, Dataset, fail, read_dataset
from rosetta.formats.yolo.labels import Objects, read_labels
from rosetta.formats.yolo.layout import Item, items
from rosetta.media.paths import is_file


def _sample(item: Item, dataset: Dataset, options: ReadOptions) -> ForeignSample:
    if item.image is None:
        if is_file(item.label):
            raise fail(
                item.label,
                0,
                "image",
                "no image for this label file (looked for it in the images folder"
                + (" and under the media root" if options.media_root else "")
                + "); YOLO coordinates are normalised, so the image's size is needed",
            )
        raise item.where.error("image", f"no such image (nor its label file {item.label})")
    document = Origin(str(item.label if is_file(item.label) else item.image), 0)
    media = probe_found(item.image, Modality.IMAGE, document, "image", options)
    assert media.width is not None and media.height is not None
    stem = item.image.stem
    stream = Stream(
        id=f"{stem}.image",
        name="image",
        modality=Modality.IMAGE,
        uri=options.uri_of(item.image),
        media=media,
    )
    objects = (
        read_labels(item.label, stem, stream.id, (media.width, media.height), dataset)
        if is_file(item.label)
        else Objects()
    )
    sample = Sample(
        id=stem,
        external_id=item.image.name,
        metadata={METADATA: {"split": item.split}},
        streams=[stream],
        annotations=objects.annotations,
        entities=objects.entities,
    )
    return ForeignSample(sample, document, objects.parts)


def read(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of a YOLO dataset, one image at a time, with what the
    `rosetta.formats.not_carried` file beside its description keeps for them and the
    samples it keeps whole."""
    dataset = read_dataset(source)
    samples = (_sample(item, dataset, options) for item in items(dataset, options))
    yield from read_back(samples, dataset.file.parent, whole=True)
