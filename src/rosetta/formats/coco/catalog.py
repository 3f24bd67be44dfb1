"""The images, categories and objects of the COCO files read together (`catalog_of`).

An *instances* file gives images, categories and annotations. A *results* file (a bare
list of detections) names images and categories by id only: it is read against the images
and categories of the instances file(s) in its folder, or of ``ReadOptions.instances`` (an
instances file or a folder of them) when given; their annotations are not read. A *folder*
is read whole: every instances file and results file in it (JSON files of other kinds, e.g.
a dataset card, are skipped), merged by image; an annotation listed in two instances files
under one id (COCO's ``instances_*`` and ``person_keypoints_*``) is one object.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rosetta.core.errors import ImportFailed
from rosetta.formats.coco.records import (
    CocoAnnotation,
    CocoCategory,
    CocoDetection,
    CocoImage,
    Document,
    load,
)
from rosetta.formats.interchange import Origin, ReadOptions


@dataclass
class Image:
    """An image of an instances file, and where it was read."""

    record: CocoImage
    document: Document
    index: int

    @property
    def origin(self) -> Origin:
        """Where the image was read."""
        return Origin(str(self.document.path), 0, f"images[{self.index}] (id {self.record.id})")


@dataclass
class Item:
    """One COCO annotation or detection of an image, and where it was read."""

    record: CocoAnnotation | CocoDetection
    document: Document
    index: int
    key: int
    """The annotation's id, or the detection's index."""

    @property
    def origin(self) -> Origin:
        """Where the annotation or detection was read."""
        if isinstance(self.record, CocoAnnotation):
            where = f"annotations[{self.index}] (id {self.record.id})"
        else:
            where = f"[{self.index}]"
        return Origin(str(self.document.path), 0, where)


@dataclass
class Catalog:
    """The images and categories of the instances files, and each image's objects."""

    images: dict[int, Image] = field(default_factory=dict)
    categories: dict[int, CocoCategory] = field(default_factory=dict)
    objects: defaultdict[int, list[Item]] = field(default_factory=lambda: defaultdict(list))
    by_id: dict[tuple[int, int], Item] = field(default_factory=dict)

    def add_images(self, document: Document) -> None:
        """The images and categories of an instances file."""
        assert document.instances is not None
        for index, image in enumerate(document.instances.images):
            here = Origin(str(document.path), 0, f"images[{index}] (id {image.id})")
            known = self.images.get(image.id)
            if known is None:  # one file may be several images (COCO keys them by id)
                self.images[image.id] = Image(image, document, index)
            elif known.record.file_name != image.file_name:
                raise here.error(
                    "file_name",
                    f"image {image.id} is {known.record.file_name!r} in "
                    f"{known.document.path.name}, {image.file_name!r} here",
                )
            elif known.document is document:
                raise here.error("id", f"image id {image.id} is used twice")
        for index, category in enumerate(document.instances.categories):
            seen = self.categories.get(category.id)
            if seen is not None and seen.name != category.name:
                raise Origin(str(document.path), 0, f"categories[{index}]").error(
                    "name", f"category {category.id} is {seen.name!r} elsewhere"
                )
            if seen is None or (category.keypoints and not seen.keypoints):
                self.categories[category.id] = category

    def add_annotations(self, document: Document) -> None:
        """The annotations of an instances file (one listed by two files: one object)."""
        assert document.instances is not None
        for index, annotation in enumerate(document.instances.annotations):
            item = Item(annotation, document, index, annotation.id)
            self._check(item)
            known = self.by_id.get((annotation.image_id, annotation.id))
            if known is None:
                self.by_id[(annotation.image_id, annotation.id)] = item
                self.objects[annotation.image_id].append(item)
            else:
                known.record = _merged(known, item)

    def add_detections(self, document: Document) -> None:
        """The detections of a results file."""
        assert document.results is not None
        for index, detection in enumerate(document.results):
            item = Item(detection, document, index, index)
            self._check(item)
            self.objects[detection.image_id].append(item)

    def _check(self, item: Item) -> None:
        if item.record.image_id not in self.images:
            raise item.origin.error(
                "image_id", f"{item.record.image_id} is not the id of an image of {self._where()}"
            )
        if item.record.category_id not in self.categories:
            raise item.origin.error(
                "category_id",
                f"{item.record.category_id} is not the id of a category of {self._where()}",
            )

    def _where(self) -> str:
        files = sorted({image.document.path.name for image in self.images.values()})
        return ", ".join(files) or "the instances files"


def _merged(known: Item, again: Item) -> CocoAnnotation:
    """One annotation listed by two instances files: the first's fields, completed."""
    first, second = known.record, again.record
    assert isinstance(first, CocoAnnotation) and isinstance(second, CocoAnnotation)
    if known.document is again.document:
        raise again.origin.error("id", f"annotation id {second.id} is used twice")
    if first.category_id != second.category_id:
        raise again.origin.error(
            "category_id",
            f"annotation {second.id} is of category {first.category_id} in "
            f"{known.document.path.name}",
        )
    update = {
        name: getattr(second, name)
        for name in ("segmentation", "bbox", "keypoints")
        if not getattr(first, name) and getattr(second, name)
    }
    return first.model_copy(update=update)


def catalog_of(source: Path, options: ReadOptions) -> Catalog:
    """The catalog of an instances file, a results file or a folder of them (see the
    module)."""
    if source.is_dir():
        return _folder(source, options)
    if not source.is_file():
        raise ImportFailed(str(source), 0, "", "no such file or folder")
    document = load(source, in_folder=False)
    assert document is not None
    catalog = Catalog()
    if document.instances is not None:
        catalog.add_images(document)
        catalog.add_annotations(document)
        return catalog
    for companion in _instances(options, source.parent, source):
        catalog.add_images(companion)
    catalog.add_detections(document)
    return catalog


def _folder(source: Path, options: ReadOptions) -> Catalog:
    """Every COCO file of the folder: instances files with their annotations, results."""
    documents = [
        document
        for path in sorted(source.glob("*.json"))
        if (document := load(path, in_folder=True)) is not None
    ]
    if not documents:
        raise ImportFailed(str(source), 0, "", "expected COCO JSON files in this folder")
    own = [document for document in documents if document.instances is not None]
    owned = {document.path.resolve() for document in own}
    given = [] if options.instances is None else _instances(options, source, None)
    if not own and not given:
        raise ImportFailed(
            str(source),
            0,
            "",
            "a results file needs an instances file beside it (or named: ReadOptions.instances)",
        )
    catalog = Catalog()
    for document in [*own, *(d for d in given if d.path.resolve() not in owned)]:
        catalog.add_images(document)
    for document in documents:
        if document.instances is not None:
            catalog.add_annotations(document)
        else:
            catalog.add_detections(document)
    return catalog


def _instances(options: ReadOptions, beside: Path, results: Path | None) -> list[Document]:
    """The instances files a results file is read against: ``ReadOptions.instances`` (a
    file or a folder of them) when given, else the ones in the folder `beside`."""
    given = options.instances
    if given is not None and not given.exists():
        raise ImportFailed(str(given), 0, "", "no such instances file or folder")
    paths = (
        [given]
        if given is not None and given.is_file()
        else sorted((given or beside).glob("*.json"))
    )
    found = [
        document
        for path in paths
        if path != results
        and (document := load(path, in_folder=given is None or given.is_dir())) is not None
        and document.instances is not None
    ]
    if not found:
        raise ImportFailed(
            str(results or beside),
            0,
            "",
            "a results file names images and categories by id only: put the instances file "
            "they come from beside it, or name it (ReadOptions.instances)",
        )
    return found
