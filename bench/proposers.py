"""Proposer latency: ``python bench/proposers.py [--repeat 5] [--sam-architecture DIR]
[--model NAME=PATH ...] [--json]``.

Runs each proposer through the registry (`rosetta.services.proposer_registry`), as the
server does, on the shared media (``../shared/fixtures/media``) and prints, per case, the
first call (loading the model) and the median and p95 of the next `--repeat` calls, on
whatever device the adapters pick (CUDA when there is one):

- ``grabcut``: a box around the cup of ``coffee.png`` (600×400) and one click on it;
- ``forced-alignment``: the narration's three sentences on ``narration.wav`` (9.76 s);
- ``silero-vad``, ``webrtc-vad``: speech segments of ``narration.wav``;
- ``minilm``: embedding 100 sentences (`MiniLmEmbedder.embed`);
- ``sam`` (with a model): a first click on ``astronaut.png`` (vision encoder and mask
  decoder) and further clicks on the same image (the cached embedding: the interactive
  case). ``--sam-architecture DIR`` writes SAM ViT-B's architecture (``SamConfig()``) with
  random weights to DIR and uses it: no weights can be downloaded here, and latency depends
  on the architecture, not on the values of the weights (denormals aside: flushed to zero);
- ``whisper`` (with ``--model whisper=PATH``): the narration, as real-time factor too;
- ``clip-labels`` (with ``--model clip-labels=PATH``): the cup's box among 8 classes.

Cases whose proposer is unavailable (no model configured) are listed with the reason.
"""

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rosetta.core.geometry import Box
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo, Stream
from rosetta.proposers.spec import MediaRef, Prompt, PromptPoint, ProposalRequest, Proposer
from rosetta.services.proposer_registry import proposer
from rosetta.services.settings import Settings

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "media"
NARRATION = (
    "An astronaut in an orange suit smiles beside a flag. A tabby cat with green eyes "
    "stares at the camera. A cup of espresso sits on a red saucer."
)
CLASSES = ("cup", "cat", "person", "flag", "car", "spacecraft", "animal", "object")


def request(path: Path, modality: Modality, prompt: Prompt, **more: Any) -> ProposalRequest:
    """A request on the media file `path` with `prompt`."""
    stream = Stream(id="bench", name=path.stem, modality=modality, uri=str(path), media=MediaInfo())
    media = MediaRef.local(str(path), path)
    return ProposalRequest(sample_id="bench", stream=stream, media=media, prompt=prompt, **more)


def timed(call: Callable[[], object], repeat: int) -> dict[str, float]:
    """Seconds of the first call and the median and p95 of `repeat` more."""
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    runs.sort()
    p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
    return {"first_s": first, "median_s": statistics.median(runs), "p95_s": p95}


def cases() -> list[tuple[str, str, ProposalRequest, dict[str, Any]]]:
    """(proposer, case, request, parameters) of every case."""
    coffee, astronaut = MEDIA / "images" / "coffee.png", MEDIA / "images" / "astronaut.png"
    narration = MEDIA / "audio" / "narration.wav"
    cup = Box(x=180, y=60, w=260, h=230)
    click = PromptPoint(x=300, y=170)
    face = PromptPoint(x=250, y=120)
    return [
        ("grabcut", "box on coffee.png", request(coffee, Modality.IMAGE, Prompt(box=cup)), {}),
        (
            "grabcut",
            "one click on coffee.png",
            request(coffee, Modality.IMAGE, Prompt(points=(click,))),
            {},
        ),
        (
            "forced-alignment",
            "narration.wav 9.76 s",
            request(narration, Modality.AUDIO, Prompt(text=NARRATION)),
            {},
        ),
        ("silero-vad", "narration.wav 9.76 s", request(narration, Modality.AUDIO, Prompt()), {}),
        ("webrtc-vad", "narration.wav 9.76 s", request(narration, Modality.AUDIO, Prompt()), {}),
        (
            "sam",
            "click on astronaut.png",
            request(astronaut, Modality.IMAGE, Prompt(points=(face,))),
            {},
        ),
        ("whisper", "narration.wav 9.76 s", request(narration, Modality.AUDIO, Prompt()), {}),
        (
            "clip-labels",
            "cup box, 8 classes",
            request(coffee, Modality.IMAGE, Prompt(box=cup), labels=CLASSES),
            {},
        ),
    ]


def sam_architecture(folder: Path) -> Path:
    """SAM ViT-B's architecture with random weights and its processor, saved in `folder`.
    Random weights give denormal activations on some images, each multiply then costing
    ~8x on a CPU (trained weights do not): the process flushes them to zero."""
    import torch
    from transformers import SamConfig, SamModel, SamProcessor

    torch.set_flush_denormal(True)
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    target = folder / "sam-vit-b-architecture"
    SamModel(SamConfig()).save_pretrained(target)
    processor = SamProcessor(image_processor=SamImageProcessorPil())  # type: ignore[no-untyped-call]  # transformers leaves it unannotated
    processor.save_pretrained(target)
    return target


def run_case(chosen: Proposer, name: str, ask: ProposalRequest, repeat: int) -> dict[str, Any]:
    """Time one case; SAM's first click loads the model and embeds the image, the others
    reuse the embedding (``next_click``), and a click on each of three other images embeds
    it (``new_image``)."""
    face = PromptPoint(x=250, y=120)
    parameters = chosen.parameters().model_dump()
    ask = ProposalRequest(**{**ask.__dict__, "parameters": parameters})
    row: dict[str, Any] = timed(lambda: chosen.propose([ask]), repeat)
    if name in ("whisper", "forced-alignment", "silero-vad", "webrtc-vad"):
        row["real_time_factor"] = 9.76 / row["median_s"]
    if name == "sam":
        moved = ProposalRequest(
            **{**ask.__dict__, "prompt": Prompt(points=(PromptPoint(x=260, y=300),))}
        )
        row["next_click_median_s"] = timed(lambda: chosen.propose([moved]), repeat)["median_s"]
        fresh = [
            request(MEDIA / "images" / name, Modality.IMAGE, Prompt(points=(face,)))
            for name in ("chelsea.png", "coffee.png", "rocket.jpg")
        ]
        embeds = []
        for one in fresh:
            began = time.perf_counter()
            chosen.propose([one])
            embeds.append(time.perf_counter() - began)
        row["new_image_median_s"] = statistics.median(embeds)
    return row


def minilm(repeat: int) -> dict[str, Any]:
    """Embedding 100 sentences with MiniLM."""
    from rosetta.proposers.sentence_embeddings import MiniLmEmbedder

    embedder = MiniLmEmbedder()
    sentences = [f"{NARRATION} ({index})" for index in range(100)]
    return timed(lambda: embedder.embed(sentences), repeat)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--model", action="append", default=[], help="NAME=PATH")
    parser.add_argument("--sam-architecture", type=Path, default=None)
    parser.add_argument("--only", action="append", default=None, help="proposer names")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    models = dict(item.split("=", 1) for item in args.model)
    with tempfile.TemporaryDirectory() as scratch:
        if args.sam_architecture is not None:
            args.sam_architecture.mkdir(parents=True, exist_ok=True)
            models.setdefault("sam", str(sam_architecture(args.sam_architecture)))
        settings = Settings(proposer_models=models, data_dir=Path(scratch))
        rows: list[dict[str, Any]] = []
        for name, case, ask, _ in cases():
            if args.only and name not in args.only:
                continue
            chosen = proposer(name, settings)
            why = chosen.unavailable()
            if why is not None:
                rows.append({"proposer": name, "case": case, "unavailable": why})
                continue
            rows.append(
                {"proposer": name, "case": case, **run_case(chosen, name, ask, args.repeat)}
            )
        if not args.only or "minilm" in args.only:
            rows.append(
                {"proposer": "minilm", "case": "embed 100 sentences", **minilm(args.repeat)}
            )
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    for row in rows:
        if "unavailable" in row:
            print(f"{row['proposer']:<17} {row['case']:<26} unavailable: {row['unavailable']}")
            continue
        extra = "".join(
            f"  {key} {value:.3f}"
            for key, value in row.items()
            if key in ("real_time_factor", "next_click_median_s", "new_image_median_s")
        )
        print(
            f"{row['proposer']:<17} {row['case']:<26} first {row['first_s']:.3f} s  "
            f"median {row['median_s']:.3f} s  p95 {row['p95_s']:.3f} s{extra}"
        )


if __name__ == "__main__":
    main()
