"""Ranked lists for reward-model training (``ranked.jsonl``): one line per sample whose
candidates someone ranked, the candidates in consensus order.

Each judgement ranks the candidates it judged: a ranking by its tiers (1 the best tier,
tied candidates share it), a judgement of pairs only by ``1 +`` the candidates that beat
each (`judged_pairs`). A candidate's ``mean_rank`` is the mean of its ranks over the
judgements that rank it, and the consensus order sorts by it (equal means keep the
sample's order and share a ``rank``, 1-based, the next rank skipping as many). Candidates
no judgement ranks come last with ``rank`` and ``mean_rank`` null. A line::

    {"sample", "prompt", "images"?, "videos"?, "audios"?, "prompt_media": [...],
     "evaluators": [...], "candidates": [{"candidate", "model", "text", "media": [...],
     "rank", "mean_rank", "judgements"}]}

Streamed into ``ranked.jsonl.part``, renamed when whole.
"""

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from statistics import fmean
from typing import Any, Final

import orjson

from rosetta.core.ontology import Ontology
from rosetta.core.preference import Judgement, judged_pairs
from rosetta.core.schema import Sample
from rosetta.formats.interchange import WriteReport
from rosetta.formats.preference.pairs import Prompt, joined_text, media_refs

#: The file `write_ranked_lists` writes.
RANKED_FILE: Final = "ranked.jsonl"


def judgement_ranks(judgement: Judgement) -> dict[str, int]:
    """The rank `judgement` gives each candidate it judged (see the module)."""
    if judgement.ranking:
        return {c: tier + 1 for tier, members in enumerate(judgement.ranking) for c in members}
    beaten: Counter[str] = Counter()
    judged: dict[str, None] = {}
    for outcome in judged_pairs(judgement):
        judged |= {outcome.winner: None, outcome.loser: None}
        if not outcome.tie:
            beaten[outcome.loser] += 1
    return {candidate: 1 + beaten[candidate] for candidate in judged}


def ranked_line(sample: Sample) -> dict[str, Any] | None:
    """The line of `sample`, or None when no judgement ranks its candidates."""
    known = {c.id for c in sample.candidates}
    ranks: dict[str, list[int]] = {c.id: [] for c in sample.candidates}
    evaluators: list[str] = []
    for judgement in sample.judgements:
        given = {c: r for c, r in judgement_ranks(judgement).items() if c in known}
        for ranked, rank in given.items():
            ranks[ranked].append(rank)
        if given and judgement.author is not None and judgement.author not in evaluators:
            evaluators.append(judgement.author)
    if not any(ranks.values()):
        return None
    means = {c: fmean(r) if r else None for c, r in ranks.items()}
    order = sorted(sample.candidates, key=lambda c: (means[c.id] is None, means[c.id] or 0.0))
    streams = {s.id: s for s in sample.streams}
    prompt = Prompt.of(sample)
    candidates = []
    rank = 0
    for place, candidate in enumerate(order, start=1):
        mean = means[candidate.id]
        if mean is not None and (place == 1 or mean != means[order[place - 2].id]):
            rank = place
        own = [streams[i] for i in candidate.streams if i in streams]
        candidates.append(
            {
                "candidate": candidate.id,
                "model": candidate.model,
                "text": joined_text(own),
                "media": [ref.json() for ref in media_refs(own)],
                "rank": None if mean is None else rank,
                "mean_rank": mean,
                "judgements": len(ranks[candidate.id]),
            }
        )
    return {
        "sample": sample.id,
        "prompt": prompt.text,
        **prompt.media,
        "prompt_media": [ref.json() for ref in prompt.refs],
        "evaluators": evaluators,
        "candidates": candidates,
    }


def write_ranked_lists(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write the ranked list of every judged sample to ``ranked.jsonl`` in the folder `out`."""
    path = out / RANKED_FILE
    part = path.with_name(f"{path.name}.part")
    written = unranked = 0
    try:
        with part.open("wb") as handle:
            for sample in samples:
                line = ranked_line(sample)
                if line is None:
                    unranked += 1
                    continue
                handle.write(orjson.dumps(line) + b"\n")
                written += 1
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    report = {}
    if unranked:
        report["samples"] = f"{unranked} without ranked candidates not written to {RANKED_FILE}"
    return WriteReport([RANKED_FILE], written, 0, report)
