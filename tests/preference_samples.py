"""A preference sample for tests: a prompt (text and an image), three caption candidates
from named models, and one judgement per evaluator with a rationale stream, a phrase on it
and a ``cites`` link from the phrase to a span of a caption."""

from builders import streams_of
from rosetta.core.geometry import TextSpan
from rosetta.core.modality import Modality
from rosetta.core.preference import Candidate, Judgement, PairVerdict, RubricScore
from rosetta.core.schema import Annotation, Link, MediaInfo, Sample, Stream

PROMPT = "Describe the image in one sentence."
CAPTIONS = {
    "small": "An astronaut.",
    "large": "An astronaut in an orange suit beside a flag.",
    "vlm": "A smiling astronaut stands next to a flag.",
}
MODELS = {"small": "captioner-small", "large": "captioner-large", "vlm": "vlm-chat"}
WHY = "The large one names the suit and the flag."


def _text(ident: str, name: str, text: str) -> Stream:
    return Stream(
        id=ident, name=name, modality=Modality.TEXT, text=text, media=MediaInfo(length=len(text))
    )


def judgement(sample_id: str, judge: str, *, rationale: bool = True) -> Judgement:
    """`judge`'s judgement of the sample: large > vlm > small, with pairs and scores."""

    def c(name: str) -> str:
        return f"{sample_id}.{name}"

    return Judgement(
        id=f"{sample_id}.j-{judge}",
        author=judge,
        presented=[c("vlm"), c("small"), c("large")],
        pairs=[
            PairVerdict(a=c("large"), b=c("small"), choice="a", strength=3),
            PairVerdict(a=c("vlm"), b=c("large"), choice="tie"),
        ],
        ranking=[[c("large"), c("vlm")], [c("small")]],
        scores=[
            RubricScore(candidate=c("large"), criterion="accuracy", value=5),
            RubricScore(candidate=c("small"), criterion="completeness", value=1),
        ],
        rationale=f"{sample_id}-why-{judge}" if rationale else None,
    )


def preference_sample(sample_id: str, judges: tuple[str, ...] = ("ann",)) -> Sample:
    """The sample `sample_id` judged by each of `judges` (see the module)."""
    image = streams_of(sample_id)[1]
    captions = [_text(f"{sample_id}-{name}", name, text) for name, text in CAPTIONS.items()]
    rationales = [_text(f"{sample_id}-why-{judge}", "rationale", WHY) for judge in judges]
    target = Annotation(
        id=f"{sample_id}.suit",
        stream=f"{sample_id}-large",
        label="person",
        geometry=TextSpan(start=3, end=12),
        ontology_version=1,
    )
    phrases = [
        Annotation(
            id=f"{sample_id}.phrase-{judge}",
            stream=f"{sample_id}-why-{judge}",
            label="rationale-phrase",
            geometry=TextSpan(start=WHY.index("the suit"), end=WHY.index("the suit") + 8),
            author=judge,
            ontology_version=1,
        )
        for judge in judges
    ]
    cites = [
        Link(
            id=f"{sample_id}.cites-{judge}",
            type="cites",
            source=f"{sample_id}.phrase-{judge}",
            target=target.id,
            author=judge,
        )
        for judge in judges
    ]
    return Sample(
        id=sample_id,
        external_id=sample_id,
        streams=[_text(f"{sample_id}-prompt", "prompt", PROMPT), image, *captions, *rationales],
        annotations=[target, *phrases],
        links=cites,
        candidates=[
            Candidate(
                id=f"{sample_id}.{name}",
                model=model,
                model_version="1.0" if name == "vlm" else None,
                streams=[f"{sample_id}-{name}"],
                metadata={"temperature": 0.7} if name == "large" else {},
            )
            for name, model in MODELS.items()
        ],
        judgements=[judgement(sample_id, judge) for judge in judges],
    )
