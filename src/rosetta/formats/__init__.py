"""File formats. Each format is one module with a streaming reader and a writer.

- `rosetta.formats.native`: the native JSONL format, one `Sample` per line.
"""
