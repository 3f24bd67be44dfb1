"""Cross-modal agreement of link sets and entities, on the demo's real samples copied under
several authors and perturbed, against hand-computed values and the `krippendorff`
package on hand-built reliability matrices."""

import itertools
import json

import krippendorff
import numpy as np
import pytest

from rosetta.core.geometry import Box, Interval, TextSpan
from rosetta.core.link_agreement import (
    NONE,
    REVERSED,
    Work,
    _scores,
    geometry_similarity,
    link_f1,
    link_units,
    match_endpoints,
    membership_agreement,
    membership_alpha,
    sample_link_agreement,
    split_by_author,
    undirected_relations,
)
from rosetta.core.matching import iou, similarity_matrix
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Link, Sample
from rosetta.demo.build import demo_samples

SYNC, SPEAKS, REFERS = "synchronized-with", "speaker-of", "refers-to"


@pytest.fixture(scope="module")
def samples() -> dict[str, Sample]:
    return {sample.id: sample for sample in demo_samples()}


def _alpha(rows: list[list[float]]) -> float:
    data = np.array(rows, dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def _relink(sample: Sample, link_id: str, **changes: str) -> Sample:
    links = [
        link.model_copy(update=changes) if link.id == link_id else link for link in sample.links
    ]
    return sample.model_copy(update={"links": links})


def _without(sample: Sample, ref: str) -> Sample:
    """`sample` without annotation or link `ref` and what points at it."""
    return sample.model_copy(
        update={
            "annotations": [a for a in sample.annotations if a.id != ref],
            "links": [k for k in sample.links if ref not in (k.id, k.source, k.target)],
            "entities": [
                e.model_copy(update={"members": [m for m in e.members if m != ref]})
                for e in sample.entities
            ],
        }
    )


def test_identical_work_agrees_perfectly(
    samples: dict[str, Sample], demo_ontology: Ontology
) -> None:
    slideshow = samples["slideshow"]
    undirected = undirected_relations(demo_ontology)
    assert undirected == {SYNC, "same-as"}
    result = sample_link_agreement({"ada": slideshow, "bob": slideshow}, undirected=undirected)
    (pair,) = result.pairs
    assert (pair.links.precision, pair.links.recall, pair.links.f1) == (1.0, 1.0, 1.0)
    assert pair.links.matched == tuple((link.id, link.id) for link in slideshow.links)
    assert pair.links.unmatched_first == pair.links.unmatched_second == ()
    assert pair.links.f1_by_type == {REFERS: 1.0, SPEAKS: 1.0, SYNC: 1.0}
    assert pair.membership.objects == len(slideshow.annotations)
    assert pair.membership.comembership_f1 == pair.membership.bcubed_f1 == 1.0
    assert result.link_alpha == result.membership_alpha == 1.0
    assert len(result.link_units.units) == len(slideshow.links)
    assert json.loads(json.dumps(result.to_json()))["pairs"][0]["links"]["f1"] == 1.0


def test_one_relation_type_agreed_on_everywhere_leaves_alpha_undefined(
    samples: dict[str, Sample],
) -> None:
    # Every unit's value is refers-to: no variation, so α is 0/0 (Krippendorff 2011).
    result = sample_link_agreement({"ada": samples["portrait"], "bob": samples["portrait"]})
    assert result.link_units.values == ((REFERS, REFERS), (REFERS, REFERS))
    assert result.link_alpha is None
    assert result.pairs[0].links.f1 == 1.0


def test_the_right_box_linked_to_the_wrong_span(samples: dict[str, Sample]) -> None:
    portrait = samples["portrait"]
    wrong = _relink(portrait, "portrait.mentions-flag", source="portrait.says-astronaut")
    # Every region agrees exactly: each annotation matches its copy, the boxes with IoU 1.
    matched = match_endpoints(portrait.annotations, wrong.annotations)
    assert matched == {a.id: a.id for a in portrait.annotations}
    theirs = {a.id: a for a in wrong.annotations}
    boxes = [(a.geometry, theirs[a.id].geometry) for a in portrait.annotations]
    assert [iou(g, h) for g, h in boxes if isinstance(g, Box) and isinstance(h, Box)] == [1.0] * 3
    # ... but one of the two links joins the flag's box to the astronaut's words.
    links = link_f1(portrait, wrong)
    assert (links.precision, links.recall, links.f1) == (0.5, 0.5, 0.5)
    assert links.matched == (("portrait.mentions-astronaut", "portrait.mentions-astronaut"),)
    assert links.unmatched_first == links.unmatched_second == ("portrait.mentions-flag",)
    assert links.f1_by_type == {REFERS: 0.5}
    units = link_units({"ada": portrait, "bob": wrong})
    assert units.units == (
        ("portrait.says-astronaut", "portrait.astronaut"),
        ("portrait.says-flag", "portrait.flag"),
        ("portrait.says-astronaut", "portrait.flag"),
    )
    assert units.values == ((REFERS, REFERS, NONE), (REFERS, NONE, REFERS))
    # refers-to = 0, none = 1
    assert units.alpha() == pytest.approx(_alpha([[0, 0, 1], [0, 1, 0]]), abs=1e-9)
    # by hand: coincidences o(r,r) = 2, o(r,none) = o(none,r) = 2, n(r) = 4, n(none) = 2;
    # α = 1 - D_o / D_e = 1 - (4/6) / (2 · 4 · 2 / (6 · 5)) = -0.25
    assert units.alpha() == pytest.approx(-0.25, abs=1e-9)


def test_a_directed_link_drawn_the_other_way_round(samples: dict[str, Sample]) -> None:
    portrait = samples["portrait"]
    turned = _relink(
        portrait,
        "portrait.mentions-astronaut",
        source="portrait.astronaut",
        target="portrait.says-astronaut",
    )
    assert link_f1(portrait, turned).unmatched_first == ("portrait.mentions-astronaut",)
    assert link_f1(portrait, turned, undirected={REFERS}).f1 == 1.0
    units = link_units({"ada": portrait, "bob": turned})
    assert units.values == ((REFERS, REFERS), (REFERS + REVERSED, REFERS))


def test_an_entity_endpoint_maps_onto_the_entity_whose_members_best_overlap(
    samples: dict[str, Sample],
) -> None:
    portrait = samples["portrait"]
    scene = "portrait.scene"
    ada = portrait.model_copy(
        update={"links": [Link(id="l", type="same-as", source=scene, target="portrait.the-flag")]}
    )
    # bob's first entity shares the flag's box with ada's flag entity (Jaccard 1/4) but
    # overlaps her astronaut entity more (2/3): one to one, his flag entity takes hers.
    astronaut = ["portrait.astronaut", "portrait.says-astronaut", "portrait.flag"]
    entities = [
        Entity(id="bob.1", members=astronaut),
        Entity(id="bob.2", members=["portrait.flag", "portrait.says-flag"]),
    ]
    for target, f1 in (("bob.2", 1.0), ("bob.1", 0.0)):
        link = Link(id="m", type="same-as", source=scene, target=target)
        bob = portrait.model_copy(update={"entities": entities, "links": [link]})
        assert link_f1(ada, bob).f1 == f1
    units = link_units({"ada": ada, "bob": bob})
    assert units.units == ((scene, "portrait.the-flag"), (scene, "portrait.the-astronaut"))
    assert units.values == (("same-as", NONE), (NONE, "same-as"))


def test_three_annotators_one_missing_an_endpoint(
    samples: dict[str, Sample], demo_ontology: Ontology
) -> None:
    slideshow = samples["slideshow"]
    # bob draws the third sync link the other way round and leaves out shows-2; cyd drew
    # no box on the cat's still, so neither its names-2 link nor a value on that unit.
    bob = _relink(
        _without(slideshow, "slideshow.shows-2"),
        "slideshow.sync-3",
        source="slideshow.shot-3",
        target="slideshow.line-3",
    )
    cyd = _without(slideshow, "slideshow.still-2.cat")
    undirected = undirected_relations(demo_ontology)
    result = sample_link_agreement(
        {"ada": slideshow, "bob": bob, "cyd": cyd}, undirected=undirected
    )
    expected: dict[tuple[str, str], list[str | None]] = {
        (k.source, k.target): [k.type] * 3 for k in slideshow.links
    }
    expected["slideshow.line-2", "slideshow.track-2"][1] = NONE
    expected["slideshow.mention-2", "slideshow.still-2.cat"][2] = None
    units = result.link_units
    assert units.annotators == ("ada", "bob", "cyd")
    assert dict(zip(units.units, map(list, zip(*units.values, strict=True)), strict=True)) == (
        expected
    )
    code = {SYNC: 0, SPEAKS: 1, REFERS: 2, NONE: 3, None: np.nan}
    matrix = [[code[values[k]] for values in expected.values()] for k in range(3)]
    assert result.link_alpha == pytest.approx(_alpha(matrix), abs=1e-9)

    f1 = {(p.first, p.second): p.links for p in result.pairs}
    assert (f1["ada", "bob"].precision, f1["ada", "bob"].recall) == (11 / 12, 1.0)
    assert f1["ada", "bob"].f1 == pytest.approx(22 / 23)
    assert f1["ada", "bob"].unmatched_first == ("slideshow.shows-2",)
    assert f1["ada", "bob"].f1_by_type[REFERS] == pytest.approx(10 / 11)
    assert f1["ada", "cyd"].unmatched_first == ("slideshow.names-2",)
    assert f1["bob", "cyd"].f1 == pytest.approx(20 / 22)
    # a directed reading of synchronized-with no longer matches bob's reversed link
    assert link_f1(slideshow, bob).f1 == pytest.approx(20 / 23)
    membership = {(p.first, p.second): p.membership for p in result.pairs}
    assert membership["ada", "cyd"].objects == len(slideshow.annotations) - 1
    assert membership["ada", "cyd"].comembership_f1 == 1.0


def test_entity_membership_of_a_merged_entity(samples: dict[str, Sample]) -> None:
    portrait = samples["portrait"]
    four = ["portrait.astronaut", "portrait.says-astronaut", "portrait.flag", "portrait.says-flag"]
    merged = portrait.model_copy(
        update={"entities": [Entity(id="portrait.both", label="person", members=four)]}
    )
    found = membership_agreement(portrait, merged)
    assert found.objects == 6
    # pairs in one entity: ada 2, bob 6 (all of the four), shared 2 -> 2·2 / (2 + 6)
    assert found.comembership_f1 == pytest.approx(0.5)
    # B-cubed: precision 1; recall (4 · 2/4 + 1 + 1) / 6 = 2/3; F = 2 · 2/3 / (5/3) = 0.8
    assert found.bcubed_f1 == pytest.approx(0.8)
    names = [*four, "portrait.shuttle", "portrait.scene"]
    ada = [
        {"portrait.astronaut", "portrait.says-astronaut"},
        {"portrait.flag", "portrait.says-flag"},
    ]
    bob = [set(four)]
    matrix = [
        [
            float(any({x, y} <= group for group in groups))
            for x, y in itertools.combinations(names, 2)
        ]
        for groups in (ada, bob)
    ]
    alpha = membership_alpha({"ada": portrait, "bob": merged})
    assert alpha == pytest.approx(_alpha(matrix), abs=1e-9)


def test_membership_alpha_of_three_annotators_equals_the_library(
    samples: dict[str, Sample],
) -> None:
    slideshow = samples["slideshow"]
    cat, cup, astronaut = slideshow.entities[1], slideshow.entities[2], slideshow.entities[0]
    merged = Entity(id="both", members=[*cat.members, *cup.members])
    bob = slideshow.model_copy(update={"entities": [astronaut, merged]})
    cyd = _without(slideshow, "slideshow.still-2.cat")
    work = {"ada": slideshow, "bob": bob, "cyd": cyd}
    rows = []
    for sample in work.values():
        drawn = {a.id for a in sample.annotations}
        rows.append(
            [
                np.nan
                if not {x, y} <= drawn
                else float(any({x, y} <= set(e.members) for e in sample.entities))
                for x, y in itertools.combinations([a.id for a in slideshow.annotations], 2)
            ]
        )
    assert membership_alpha(work) == pytest.approx(_alpha(rows), abs=1e-9)
    # ada and bob: 3 + 3 + 3 pairs against 3 + 15; B-cubed recall 1, precision
    # (3 · 1 + 6 · 3/6 + 7 · 1) / 16 (cat's and cup's members, then the rest)
    found = membership_agreement(bob, slideshow)
    assert found.comembership_f1 == pytest.approx(2 * 9 / (18 + 9))
    precision = (3 + 6 * 3 / 6 + 7) / 16
    assert found.bcubed_f1 == pytest.approx(2 * precision / (precision + 1))


def _chains(*groups: list[int]) -> Work:
    """Mentions 1-12, one character each of a text, grouped into `groups`."""
    spans = tuple(
        Annotation(id=f"m{i}", stream="doc", label="mention", geometry=TextSpan(start=i, end=i + 1))
        for i in range(1, 13)
    )
    entities = tuple(
        Entity(id=f"e{n}", members=[f"m{i}" for i in group]) for n, group in enumerate(groups)
    )
    return Work(spans, entities)


def test_bcubed_reproduces_bagga_and_baldwin() -> None:
    """Bagga & Baldwin (1998), "Algorithms for scoring coreference chains": truth chains
    {1-5}, {6-7}, {8-12}; response 1 merges the last two, response 2 the first and last.
    B-cubed recall is 1 for both and precision 16/21 (response 1) and 7/12 (response 2),
    where the MUC score cannot tell the two apart."""
    one, two, three = [1, 2, 3, 4, 5], [6, 7], [8, 9, 10, 11, 12]
    truth = _chains(one, two, three)
    first = membership_agreement(_chains(one, two + three), truth)
    second = membership_agreement(_chains(one + three, two), truth)
    for found, precision in ((first, 16 / 21), (second, 7 / 12)):
        assert found.objects == 12
        assert found.bcubed_f1 == pytest.approx(2 * precision / (precision + 1), abs=1e-12)
    # pairs in one chain: truth 10 + 1 + 10, response 1 10 + 21, response 2 45 + 1
    assert first.comembership_f1 == pytest.approx(2 * 21 / (31 + 21))
    assert second.comembership_f1 == pytest.approx(2 * 21 / (46 + 21))


def test_split_by_author_and_a_link_to_a_colleagues_box(samples: dict[str, Sample]) -> None:
    portrait = samples["portrait"]
    bob = [
        a.model_copy(update={"id": f"bob.{a.id}", "author": "bob"})
        for a in portrait.annotations
        if a.id != "portrait.flag"
    ]
    nobody = Annotation(id="stray", stream=None, label="scene", geometry=Box(x=0, y=0, w=1, h=1))
    links = [
        Link(
            id="bob.1",
            type=REFERS,
            source="bob.portrait.says-astronaut",
            target="bob.portrait.astronaut",
            author="bob",
        ),
        Link(
            id="bob.2",
            type=REFERS,
            source="bob.portrait.says-flag",
            target="portrait.flag",
            author="bob",
        ),
    ]
    shared = portrait.model_copy(
        update={
            "annotations": [*portrait.annotations, *bob, nobody],
            "links": [*portrait.links, *links],
            "entities": [],
        }
    )
    work = split_by_author(shared)
    assert list(work) == ["ada", "bob"]
    assert [a.id for a in work["bob"].annotations] == [a.id for a in bob]
    assert work["ada"].links == tuple(portrait.links)
    # bob linked ada's flag box instead of drawing his own: the link still matches hers
    found = link_f1(work["ada"], work["bob"])
    assert found.matched == (
        ("portrait.mentions-astronaut", "bob.1"),
        ("portrait.mentions-flag", "bob.2"),
    )
    units = link_units(work)
    assert units.values == ((REFERS, REFERS), (REFERS, REFERS))
    with pytest.raises(ValueError, match="two or more"):
        sample_link_agreement({"ada": work["ada"]})


def _one_by_one(first: Annotation, second: Annotation) -> float | None:
    """The default similarity, but not the function itself: scored pair by pair."""
    return geometry_similarity(first, second)


def test_array_scores_equal_the_reference_similarity() -> None:
    rng = np.random.default_rng(7)
    corners, sizes = rng.uniform(0, 300, (30, 2)), rng.uniform(5, 40, (30, 2))
    jitter = rng.normal(0, 4, (30, 4))
    first = [
        Annotation(id=f"a{i}", stream="image", label="thing", geometry=Box(x=x, y=y, w=w, h=h))
        for i, ((x, y), (w, h)) in enumerate(zip(corners, sizes, strict=True))
    ]
    second = [
        Annotation(
            id=f"b{i}",
            stream="image",
            label="thing",
            geometry=Box(x=x + dx, y=y + dy, w=w + abs(dw), h=h + abs(dh)),
        )
        for i, ((x, y), (w, h), (dx, dy, dw, dh)) in enumerate(
            zip(corners, sizes, jitter, strict=True)
        )
    ]
    starts, lengths = rng.uniform(0, 50, 60), rng.uniform(0.1, 5, 60)
    ranges = [
        Annotation(id=f"i{i}", stream="audio", label="thing", geometry=Interval(start=s, end=s + d))
        for i, (s, d) in enumerate(zip(starts, lengths, strict=True))
    ]
    for one, other in ((first, second[::-1]), (ranges[:30], ranges[30:])):
        expected = similarity_matrix(one, other, geometry_similarity)
        assert 10 < np.isfinite(expected).sum() < expected.size
        found = _scores(one, other, geometry_similarity)
        np.testing.assert_allclose(found, expected, rtol=0, atol=1e-12)
        assert match_endpoints(one, other) == match_endpoints(one, other, _one_by_one)
    matched = match_endpoints(first, second)
    assert len(matched) > 15
    assert all(mine[1:] == theirs[1:] for mine, theirs in matched.items())  # its own copy
    # only within one stream (and geometry type, and frame)
    elsewhere = first[0].model_copy(update={"id": "other", "stream": "other-image"})
    assert match_endpoints(first[:1], [elsewhere]) == {}
