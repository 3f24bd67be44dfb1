"""The demo project: real images, speech and a narrated video, annotated across modalities."""
