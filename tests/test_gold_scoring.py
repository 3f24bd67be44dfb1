"""Gold scoring, pure: per-modality and link F1, the overall score, the feedback items
(missed, extra, wrong label, link missed and extra), entities as link endpoints, and that
the workflow's agreement still matches as before."""

from collections.abc import Sequence

from builders import box, span, speech, streams_of
from rosetta.core.gold_scoring import score
from rosetta.core.schema import Annotation, Entity, Link, Sample
from rosetta.core.workflow import agreement

S = "g1"
SCORED = {"ana"}  # the person holding the gold slot


def by(author: str, annotation: Annotation) -> Annotation:
    return annotation.model_copy(update={"author": author})


def link(ident: str, source: str, target: str, author: str, kind: str = "refers-to") -> Link:
    return Link(id=ident, type=kind, source=source, target=target, author=author)


def gold_sample(
    *, work: Sequence[Annotation], links: Sequence[Link] = (), entities: Sequence[Entity] = ()
) -> Sample:
    reference = [
        by("mona", box("r-car", S, "car", x=10)),
        by("mona", box("r-person", S, "person", x=300)),
        by("mona", span("r-name", S, 0, 12)),
    ]
    return Sample(
        id=S,
        streams=streams_of(S),
        annotations=[*reference, *work],
        links=[link("rl", "r-name", "r-person", "mona"), *links],
        entities=list(entities),
    )


def test_a_perfect_answer_scores_one_with_no_feedback() -> None:
    work = [
        by("ana", box("w-car", S, "car", x=12)),
        by("ana", box("w-person", S, "person", x=305)),
        by("ana", span("w-name", S, 1, 12)),
    ]
    result = score(
        gold_sample(work=work, links=[link("wl", "w-name", "w-person", "ana")]), "ana", SCORED
    )
    assert result.score == 1.0
    assert result.feedback == []
    assert result.modalities["image"].as_json() == {
        "reference": 2,
        "submitted": 2,
        "matched": 2,
        "f1": 1.0,
    }
    assert result.modalities["text"].f1 == 1.0
    assert (result.links.reference, result.links.matched) == (1, 1)


def test_missed_extra_and_wrong_label_are_told_and_scored() -> None:
    work = [
        by("ana", box("w-car", S, "truck", x=12)),  # the car, wrongly labelled
        by("ana", box("w-tree", S, "tree", x=200, y=300)),  # nothing there
        # the person and the name missed; the link with them
    ]
    result = score(gold_sample(work=work), "ana", SCORED)
    kinds = [
        (item["kind"], item.get("reference"), item.get("submitted")) for item in result.feedback
    ]
    assert kinds == [
        ("wrong_label", "r-car", "w-car"),
        ("missed", "r-person", None),
        ("missed", "r-name", None),
        ("extra", None, "w-tree"),
        ("link_missed", "rl", None),
    ]
    wrong = result.feedback[0]
    assert (wrong["label"], wrong["given"], wrong["modality"]) == ("car", "truck", "image")
    assert wrong["geometry"] == box("r-car", S, "car", x=10).geometry.model_dump(mode="json")
    assert "geometry" not in result.feedback[3]  # an extra object shows the person's own
    assert result.modalities["image"].as_json() == {
        "reference": 2,
        "submitted": 2,
        "matched": 0,
        "f1": 0.0,
    }
    assert result.modalities["text"].as_json()["f1"] == 0.0
    # overall: 3 annotations + 1 link in the reference, 2 submitted, none matched
    assert result.score == 0.0
    assert result.detail()["links"] == {"reference": 1, "submitted": 0, "matched": 0, "f1": 0.0}


def test_partial_work_scores_the_f1_of_annotations_and_links_together() -> None:
    work = [
        by("ana", box("w-car", S, "car", x=15)),
        by("ana", span("w-name", S, 0, 12)),
        by("ana", box("w-person", S, "person", x=300)),
    ]
    wrong_link = link("wl", "w-name", "w-car", "ana")  # the name refers to the person
    result = score(gold_sample(work=work, links=[wrong_link]), "ana", SCORED)
    assert result.links.as_json() == {"reference": 1, "submitted": 1, "matched": 0, "f1": 0.0}
    assert result.score == 2 * 3 / (4 + 4)
    assert [item["kind"] for item in result.feedback] == ["link_missed", "link_extra"]
    assert result.feedback[1]["source"] == "w-name" and result.feedback[1]["target"] == "w-car"


def test_a_link_of_another_relation_does_not_match() -> None:
    work = [by("ana", box("w-person", S, "person", x=300)), by("ana", span("w-name", S, 0, 12))]
    result = score(
        gold_sample(work=work, links=[link("wl", "w-name", "w-person", "ana", kind="depicts")]),
        "ana",
        SCORED,
    )
    assert result.links.matched == 0


def test_entities_match_through_their_members_as_link_endpoints() -> None:
    reference_entity = Entity(
        id="re", label="person", members=["r-person", "r-name"], author="mona"
    )
    work_entity = Entity(id="we", label="person", members=["w-person", "w-name"], author="ana")
    work = [
        by("ana", box("w-car", S, "car", x=10)),
        by("ana", box("w-person", S, "person", x=300)),
        by("ana", span("w-name", S, 0, 12)),
    ]
    sample = gold_sample(
        work=work,
        entities=[reference_entity, work_entity],
        links=[
            link("re-car", "re", "r-car", "mona", "near"),
            link("we-car", "we", "w-car", "ana", "near"),
        ],
    )
    result = score(sample, "ana", SCORED)
    assert result.links.as_json()["matched"] == 1  # the entity link; the name link missed
    assert [item["kind"] for item in result.feedback] == ["link_missed"]


def test_other_scored_people_are_not_the_reference_and_audio_is_its_own_modality() -> None:
    sample = Sample(
        id=S,
        streams=streams_of(S),
        annotations=[
            by("mona", speech("r-speech", S)),
            by("bob", speech("b-speech", S, 5.0, 6.0)),  # another gold slot holder's
            by("ana", speech("w-speech", S, 0.2, 3.0)),
        ],
    )
    result = score(sample, "ana", {"ana", "bob"})
    assert result.modalities["audio"].as_json() == {
        "reference": 1,
        "submitted": 1,
        "matched": 1,
        "f1": 1.0,
    }
    assert result.score == 1.0


def test_an_empty_reference_and_empty_work_score_one() -> None:
    result = score(Sample(id=S, streams=streams_of(S)), "ana", SCORED)
    assert result.score == 1.0 and result.modalities == {} and result.feedback == []


def test_agreement_still_matches_best_first() -> None:
    first = [box("a1", S, "car", x=10), box("a2", S, "car", x=60)]
    second = [box("b1", S, "car", x=35)]
    assert agreement([first, second]) == 2 * 1 / 3
    assert agreement([[box("a", S, "car")], [box("b", S, "person")]]) == 0.0
