"""Pre-labelling: the proposer interface (`spec`) and the built-in proposers, one module
each, registered through the ``rosetta.proposers`` entry points."""
