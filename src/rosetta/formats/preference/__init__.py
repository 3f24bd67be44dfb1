"""Preference data for RLHF and DPO training (`rosetta.core.preference`): DPO pairs as JSONL
(`dpo`, read in the dialects of TRL and LLaMA-Factory, `dpo_lines`) and as Parquet
(`dpo-parquet`), and ranked lists for reward models (`ranked-lists`, write only)."""

from rosetta.formats.interchange import FormatSpec
from rosetta.formats.preference.parquet_io import write_dpo_parquet
from rosetta.formats.preference.ranked import write_ranked_lists
from rosetta.formats.preference.reader import read_dpo, read_dpo_parquet
from rosetta.formats.preference.writer import write_dpo

#: What a DPO file has no place for (the writers count each in their report).
_NOT_CARRIED = (
    "annotations",
    "entities",
    "links",
    "rubric scores",
    "rationales",
    "ties and evenly split pairs",
    "samples without two candidates",
)

SPECS: tuple[FormatSpec, ...] = (
    FormatSpec(
        name="dpo",
        title="DPO preference pairs, JSONL (TRL; reads LLaMA-Factory v1, alpaca, sharegpt)",
        read=read_dpo,
        write=write_dpo,
        not_carried=_NOT_CARRIED,
    ),
    FormatSpec(
        name="dpo-parquet",
        title="DPO preference pairs, Parquet for Hugging Face datasets",
        read=read_dpo_parquet,
        write=write_dpo_parquet,
        not_carried=(*_NOT_CARRIED, "conversations (their prompt's text only)"),
    ),
    FormatSpec(
        name="ranked-lists",
        title="Ranked candidate lists for reward-model training, JSONL, write only",
        write=write_ranked_lists,
        not_carried=("annotations", "entities", "links", "rubric scores", "rationales"),
    ),
)
