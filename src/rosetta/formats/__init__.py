"""File formats. Each format is one module or package with a streaming reader and a writer,
registered by name (`rosetta.formats.registry`); what a format cannot carry goes to one
sidecar layout that its reader puts back (`rosetta.formats.not_carried`).

- `rosetta.formats.native`: the native JSONL format, one `Sample` per line.
"""
