"""What CVAT for images and CVAT for video 1.1 XML files share: the ``<meta>`` block (labels,
their attributes' input types, the task's frame range and step, the frame size) and the
attribute values typed by it, and the small pieces of XML writing both writers use.

**Parsing** is `rosetta.formats.safe_xml`'s (elements captured with their lines; entities
refused).

**Meta.** CVAT writes ``<meta><task>`` (a task export), ``<meta><job>`` (a job) or
``<meta><project>`` (a project, labels only) before the annotations. What is read:
``start_frame``, ``stop_frame``, ``frame_filter`` (``step=N``; empty: 1),
``original_size`` (the video frame size), ``<meta><source>`` (the video's file name) and
the labels with each attribute's ``input_type``. An attribute's value is typed by its input type (`typed_value`): checkbox
``true``/``false`` -> bool, number -> int or float, select/radio/text -> str; an attribute
the meta does not declare stays text.
"""

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from rosetta.core.errors import ImportFailed, RosettaError
from rosetta.core.ontology import AttributeDef, Ontology
from rosetta.formats.safe_xml import Element, JsonDict
from rosetta.formats.xml_values import number, value_text


@dataclass(frozen=True)
class AttributeSpec:
    """An attribute a CVAT label declares, with its input type."""

    name: str
    input_type: str


@dataclass(frozen=True)
class LabelSpec:
    """A CVAT label and its attributes by name."""

    name: str
    attributes: dict[str, AttributeSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class CvatMeta:
    """What the ``<meta>`` block says (every field may be absent)."""

    line: int = 0
    start_frame: int | None = None
    stop_frame: int | None = None
    step: int = 1
    width: int | None = None
    height: int | None = None
    source: str | None = None
    labels: dict[str, LabelSpec] = field(default_factory=dict)

    def attribute(self, label: str, name: str) -> AttributeSpec | None:
        """The declaration of attribute `name` of `label` (or of any label, as CVAT's
        attribute names are usually unique)."""
        spec = self.labels.get(label)
        if spec is not None and name in spec.attributes:
            return spec.attributes[name]
        return next(
            (s.attributes[name] for s in self.labels.values() if name in s.attributes), None
        )


@dataclass(frozen=True)
class Grid:
    """The frames of a CVAT task: ``start + k * step`` up to ``stop``."""

    start: int
    stop: int
    step: int

    def holds(self, frame: int) -> bool:
        """Whether `frame` is a frame of the task."""
        return self.start <= frame <= self.stop and (frame - self.start) % self.step == 0

    def describe(self) -> str:
        """The task's frames in words, for errors."""
        return f"a frame of the task: {self.start} + k * {self.step} up to {self.stop}"


def _int(element: Element | None, file: str, what: str, least: int = 0) -> int | None:
    if element is None:
        return None
    text = element.text.strip()
    try:
        value = int(text)
    except ValueError:
        raise ImportFailed(file, element.line, what, f"expected an integer, got {text!r}") from None
    if value < least:
        raise ImportFailed(file, element.line, what, f"expected at least {least}, got {value}")
    return value


def _step(element: Element | None, file: str) -> int:
    text = "" if element is None else element.text.strip()
    if not text:
        return 1
    key, _, value = text.partition("=")
    if key.strip() != "step" or not value.strip().isdigit() or int(value) < 1:
        assert element is not None
        raise ImportFailed(
            file, element.line, "frame_filter", f"expected 'step=N' (N >= 1), got {text!r}"
        )
    return int(value)


def _label(element: Element) -> LabelSpec:
    attributes = {}
    listed = element.find("attributes")
    for attribute in [] if listed is None else listed.children:
        name = attribute.child_text("name")
        if name:
            attributes[name] = AttributeSpec(
                name, (attribute.child_text("input_type") or "text").lower()
            )
    return LabelSpec(name=element.child_text("name") or "", attributes=attributes)


def read_meta(meta: Element, file: str) -> CvatMeta:
    """The `CvatMeta` of a captured ``<meta>`` element of `file`."""
    holder = next((c for c in meta.children if c.tag in ("task", "job", "project")), meta)
    size = holder.find("original_size")
    labels_element = holder.find("labels")
    if labels_element is None:  # a project export lists its tasks' labels deeper down
        stack = list(meta.children)
        while stack and labels_element is None:
            child = stack.pop(0)
            labels_element = child if child.tag == "labels" else None
            stack.extend(child.children)
    labels = [
        _label(label) for label in ([] if labels_element is None else labels_element.children)
    ]
    return CvatMeta(
        line=meta.line,
        start_frame=_int(holder.find("start_frame"), file, "start_frame"),
        stop_frame=_int(holder.find("stop_frame"), file, "stop_frame"),
        step=_step(holder.find("frame_filter"), file),
        width=_int(None if size is None else size.find("width"), file, "original_size", 1),
        height=_int(None if size is None else size.find("height"), file, "original_size", 1),
        source=meta.child_text("source") or None,
        labels={label.name: label for label in labels if label.name},
    )


def typed_value(spec: AttributeSpec | None, text: str) -> bool | int | float | str:
    """An attribute's text typed by its input type (text when undeclared); a
    `ValueError` says what was expected."""
    kind = spec.input_type if spec is not None else "text"
    if kind == "checkbox":
        if text.strip().lower() not in ("true", "false"):
            raise ValueError(f"expected true or false (a checkbox), got {text!r}")
        return text.strip().lower() == "true"
    if kind == "number":
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {text!r}")
        return number
    return text


# --- writing ---------------------------------------------------------------------------------


def unlike_read_back(attributes: JsonDict) -> JsonDict:
    """The attributes whose values do not read back as they are from the text CVAT keeps
    (lists, objects, null, whole floats): the writers drop them into the sidecar."""
    return {
        name: value
        for name, value in attributes.items()
        if not isinstance(value, bool | int | str)
        and not (isinstance(value, float) and not value.is_integer())
    }


def start_tag(tag: str, attrs: dict[str, str], *, close: bool = False) -> str:
    """``<tag a="..." ...>`` (``/>`` when `close`), the values escaped."""
    text = "".join(f" {name}={quoteattr(value)}" for name, value in attrs.items())
    return f"<{tag}{text}{'/>' if close else '>'}"


def attribute_xml(name: str, value: object) -> str:
    """One ``<attribute name="...">value</attribute>``."""
    return f"{start_tag('attribute', {'name': name})}{escape(value_text(value))}</attribute>"


def element_xml(element: Element, indent: str) -> str:
    """A captured element written back, indented by `indent`, one element per line."""
    head = start_tag(element.tag, element.attrs)
    text = escape(element.text.strip())
    if not element.children:
        return f"{indent}{head}{text}</{element.tag}>\n"
    inner = "".join(element_xml(child, indent + "  ") for child in element.children)
    return f"{indent}{head}{text}\n{inner}{indent}</{element.tag}>\n"


def shape_xml(element: Element, attributes: JsonDict, indent: str) -> str:
    """A shape written with its children (a skeleton's elements) and then its
    ``<attribute>`` values, indented by `indent`."""
    head = f"{indent}{start_tag(element.tag, element.attrs)}\n"
    inner = "".join(element_xml(child, indent + "  ") for child in element.children)
    values = "".join(f"{indent}  {attribute_xml(n, v)}\n" for n, v in attributes.items())
    return f"{head}{inner}{values}{indent}</{element.tag}>\n"


def text_element(tag: str, text: object, indent: str) -> str:
    """``<tag>text</tag>`` on its own line."""
    return f"{indent}<{tag}>{escape(str(text))}</{tag}>\n"


_INPUT_TYPE = {"enum": "select", "bool": "checkbox", "number": "number", "text": "text"}


def _attribute_spec_xml(
    name: str, kind: str, values: Sequence[str], mutable: bool, indent: str
) -> str:
    inner = indent + "  "
    return (
        f"{indent}<attribute>\n"
        + text_element("name", name, inner)
        + text_element("mutable", "True" if mutable else "False", inner)
        + text_element("input_type", kind, inner)
        + text_element("default_value", values[0] if values else "", inner)
        + text_element("values", "\n".join(values), inner)
        + f"{indent}</attribute>\n"
    )


def _definition_xml(definition: AttributeDef, mutable: bool, indent: str) -> str:
    kind = _INPUT_TYPE[definition.type.value]
    if kind == "select":
        values = list(definition.values or ())
    elif kind == "checkbox":
        values = ["false"]
    elif kind == "number" and definition.min is not None and definition.max is not None:
        values = [number(definition.min), number(definition.max), "1"]
    else:
        values = []
    return _attribute_spec_xml(definition.name, kind, values, mutable, indent)


def input_type(value: object) -> str:
    """The CVAT input type an attribute value of no declared type is written with."""
    if isinstance(value, bool):
        return "checkbox"
    if isinstance(value, int | float):
        return "number"
    return "text"


def labels_xml(
    ontology: Ontology,
    *,
    used: Mapping[str, Mapping[str, str]],
    skeletons: Mapping[str, Sequence[str]] | None = None,
    mutable: Collection[str] = (),
    indent: str = "      ",
) -> str:
    """The ``<labels>`` block: every class of `ontology` with its attributes (as CVAT
    input types: enum -> select, bool -> checkbox, number, text), then the labels of
    `used` (label -> attribute -> input type, from the values written) that are no class
    and the used attributes a class does not define; for each skeleton class in
    `skeletons`, its element labels (``<type>points</type>``, ``<parent>``). Attributes
    named in `mutable` are mutable (they change along a track)."""
    skeletons = skeletons or {}
    names = [cls.name for cls in ontology.classes]
    names += sorted(set(used) - set(names))
    inner = indent + "  "
    parts = [f"{indent}<labels>\n"]
    for name in names:
        definitions = ontology.attributes_of(name) if name in ontology.class_map else {}
        parts.append(f"{inner}<label>\n")
        parts.append(text_element("name", name, inner + "  "))
        parts.append(text_element("type", "skeleton" if name in skeletons else "any", inner + "  "))
        parts.append(f"{inner}  <attributes>\n")
        parts.extend(
            _definition_xml(d, d.name in mutable, inner + "    ") for d in definitions.values()
        )
        parts.extend(
            _attribute_spec_xml(attribute, kind, [], attribute in mutable, inner + "    ")
            for attribute, kind in used.get(name, {}).items()
            if attribute not in definitions
        )
        parts.append(f"{inner}  </attributes>\n{inner}</label>\n")
        for element in skeletons.get(name, ()):
            parts.append(
                f"{inner}<label>\n"
                + text_element("name", element, inner + "  ")
                + text_element("type", "points", inner + "  ")
                + f"{inner}  <attributes>\n{inner}  </attributes>\n"
                + text_element("parent", name, inner + "  ")
                + f"{inner}</label>\n"
            )
    parts.append(f"{indent}</labels>\n")
    return "".join(parts)


def xml_files(source: Path) -> list[Path]:
    """`source` itself, or the ``*.xml`` files of the folder `source` in name order."""
    if source.is_dir():
        found = sorted(path for path in source.glob("*.xml") if path.is_file())
        if not found:
            raise RosettaError(f"{source}: no .xml files in the folder (expected CVAT XML files)")
        return found
    if not source.is_file():
        raise RosettaError(f"{source}: no such file or folder")
    return [source]
