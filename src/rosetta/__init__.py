"""Rosetta: multimodal data annotation with first-class cross-modal links."""

__version__ = "0.1.0"
