"""Reading DPO preference files: each line (a Parquet file: each row), in whichever dialect
`rosetta.formats.preference.dpo_lines` recognises it as, becomes one preference sample.

The sample ``<file stem>.<line>`` (external id ``<file name>:<line>``) holds:

- the prompt: a text stream ``<sample>.prompt`` (none for an implicit prompt) and a stream
  ``<sample>.prompt.<n>`` per media file of ``prompt_media`` (Rosetta's field), else of
  ``images`` / ``videos`` / ``audios``;
- two candidates ``<sample>.chosen`` and ``<sample>.rejected`` (model from
  ``chosen_model`` / ``rejected_model``), each a text stream ``<candidate>.text`` and a
  stream ``<candidate>.<n>`` per entry of ``chosen_media`` / ``rejected_media``;
- one judgement per name in ``evaluators`` (one without author when there is none),
  ``<sample>.judgement.<n>``: the pair chosen > rejected, with ``strength``.

A media path is looked up under the media root (else beside the file read); a file found
there is probed (`rosetta.formats.found_media`) and named as `ReadOptions.uri_of` says, a
path found nowhere and a URL are kept as written. On a server, a path outside the folder
and the media root is an error, and is not opened.

What the dialect carries that the schema does not is kept so that writing the sample in
its dialect gives the line back: ``metadata.dpo`` of the sample (``dialect``, the
``conversation`` before the responses as the file has it, the dialect's other keys as
``extra``, the ``sample`` a Rosetta export named, ``plain`` when the line had none of
Rosetta's fields) and ``metadata.dpo.messages`` of each candidate (its response as the
file's messages, loss weights and all). ``agreement`` is not read back: the votes that
disagreed are not in the file.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from rosetta.core.errors import RosettaError
from rosetta.core.modality import Modality
from rosetta.formats.found_media import confined, probe_found
from rosetta.formats.interchange import (
    NOT_CARRIED,
    ForeignSample,
    Origin,
    ReadOptions,
    sample_from,
)
from rosetta.formats.preference.dpo_lines import (
    MEDIA_KEYS,
    DpoLine,
    JsonObject,
    MediaRef,
    Response,
    parse_line,
)
from rosetta.media.paths import is_file
from rosetta.media.probe import local_path


def _files(source: Path, suffix: str) -> list[Path]:
    if source.is_dir():
        return sorted(p for p in source.glob(f"*{suffix}") if p.name != NOT_CARRIED)
    return [source]


def read_dpo(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of a DPO JSONL file, or of every ``.jsonl`` file in the folder `source`."""
    for path in _files(source, ".jsonl"):
        with path.open("rb") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                origin = Origin(str(path), number)
                try:
                    value = orjson.loads(text)
                except orjson.JSONDecodeError as exc:
                    raise origin.error("", f"not valid JSON: {exc}") from None
                line = parse_line(value, origin)
                yield _Build(path, number, origin, options).sample(line)


def read_dpo_parquet(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of a DPO Parquet file (as `write_dpo_parquet` writes it, or any with
    TRL's columns), or of every ``.parquet`` file in the folder `source`."""
    for path in _files(source, ".parquet"):
        number = 0
        for batch in pq.ParquetFile(path).iter_batches():
            for row in batch.to_pylist():
                number += 1
                origin = Origin(str(path), 0, f"row {number}")
                value = {key: item for key, item in row.items() if item is not None}
                yield _Build(path, number, origin, options).sample(parse_line(value, origin))


class _Build:
    """The sample of one line (see the module)."""

    def __init__(self, path: Path, number: int, origin: Origin, options: ReadOptions) -> None:
        self.path = path
        self.origin = origin
        self.options = options
        self.id = f"{path.stem}.{number}"
        self.external_id = f"{path.name}:{number}"
        self.streams: list[JsonObject] = []

    def _text(self, stream_id: str, name: str, text: str) -> None:
        self.streams.append(
            {
                "id": stream_id,
                "name": name,
                "modality": "text",
                "text": text,
                "media": {"length": len(text)},
            }
        )

    def _media(self, stream_id: str, ref: MediaRef, where: str) -> None:
        try:
            modality = Modality(ref.modality)
        except ValueError:
            known = ", ".join(m.value for m in Modality)
            raise self.origin.error(
                f"{where}.modality", f"expected one of {known}, got {ref.modality!r}"
            ) from None
        stream: JsonObject = {
            "id": stream_id,
            "name": ref.stream or modality.value,
            "modality": modality.value,
            "uri": ref.uri,
        }
        path = self._local(ref.uri)
        if path is not None:
            if not path.is_absolute():
                path = (self.options.media_root or self.path.parent) / path
            found = confined(path, self.options, self.origin, where)
            if is_file(found):
                media = probe_found(found, modality, self.origin, where, self.options)
                stream["uri"] = self.options.uri_of(found)
                stream["media"] = media.model_dump(mode="json", exclude_none=True)
        self.streams.append(stream)

    @staticmethod
    def _local(uri: str) -> Path | None:
        """The local path `uri` names, or None for a URL."""
        try:
            return local_path(uri)
        except RosettaError:
            return None

    def _candidate(
        self, role: str, response: Response, model: str | None, refs: list[MediaRef]
    ) -> JsonObject:
        candidate_id = f"{self.id}.{role}"
        self._text(f"{candidate_id}.text", role, response.text)
        streams = [f"{candidate_id}.text"]
        for number, ref in enumerate(refs, start=1):
            streams.append(f"{candidate_id}.{number}")
            self._media(streams[-1], ref, f"{role}_media[{number - 1}]")
        candidate: JsonObject = {"id": candidate_id, "model": model, "streams": streams}
        if response.messages:
            candidate["metadata"] = {"dpo": {"messages": [m.raw for m in response.messages]}}
        return candidate

    def sample(self, line: DpoLine) -> ForeignSample:
        """The `ForeignSample` of `line`."""
        provenance = line.provenance
        if line.prompt is not None:
            self._text(f"{self.id}.prompt", "prompt", line.prompt)
        if provenance.prompt_media is not None:
            refs = [(ref, f"prompt_media[{i}]") for i, ref in enumerate(provenance.prompt_media)]
        else:
            refs = [
                (MediaRef(None, modality, uri), f"{key}[{i}]")
                for key, modality in MEDIA_KEYS.items()
                for i, uri in enumerate(line.media.get(key, []))
            ]
        for number, (ref, where) in enumerate(refs, start=1):
            self._media(f"{self.id}.prompt.{number}", ref, where)
        candidates = [
            self._candidate(
                "chosen", line.chosen, provenance.chosen_model, provenance.chosen_media
            ),
            self._candidate(
                "rejected", line.rejected, provenance.rejected_model, provenance.rejected_media
            ),
        ]
        verdict = {
            "a": candidates[0]["id"],
            "b": candidates[1]["id"],
            "choice": "a",
            "strength": provenance.strength,
        }
        judgements = [
            {"id": f"{self.id}.judgement.{n}", "author": author, "pairs": [verdict]}
            for n, author in enumerate(provenance.evaluators or [None], start=1)
        ]
        kept: JsonObject = {"dialect": line.dialect}
        if line.conversation is not None:
            kept["conversation"] = [message.raw for message in line.conversation]
        if line.extra:
            kept["extra"] = line.extra
        if provenance.sample is not None:
            kept["sample"] = provenance.sample
        if line.plain:
            kept["plain"] = True
        data: dict[str, Any] = {
            "id": self.id,
            "external_id": self.external_id,
            "metadata": {"dpo": kept},
            "streams": self.streams,
            "candidates": candidates,
            "judgements": judgements,
        }
        return ForeignSample(sample_from(data, self.origin, {}), self.origin)
