"""The server's settings: typed, documented, read from ``ROSETTA_*`` environment variables
(or passed in by the CLI and tests), and refusing unsafe combinations.

============================  ============================================================
variable                      meaning
============================  ============================================================
``ROSETTA_DATABASE_URL``      the store (``sqlite:///rosetta.db``; ``postgresql://...``)
``ROSETTA_MEDIA_ROOTS``       JSON list of folders local media may be served from; a file
                              outside every root is never served
``ROSETTA_REMOTE_MEDIA``      JSON list of URL prefixes remote media may be fetched from
                              (``["s3://bucket/", "https://cdn.example.org/"]``); any other
                              remote URI is refused (no server-side request forgery)
``ROSETTA_DATA_DIR``          where exports and other job output are written
``ROSETTA_MAX_UPLOAD_BYTES``  the largest file an upload may send (default 2 GiB); a
                              larger one is refused with 413 and nothing of it is kept;
                              an uploaded archive may inflate to no more than this either
``ROSETTA_ARCHIVE_MEMBERS``   the most members an uploaded ``.zip`` may hold (default
                              100000); more are refused and nothing of it is kept
``ROSETTA_COOKIE_SECURE``     session cookies only over HTTPS (default true; false only
                              with ``ROSETTA_DEV=true``)
``ROSETTA_DEV``               development mode: allows insecure cookies
``ROSETTA_SESSION_HOURS``     how long a browser session lasts
``ROSETTA_JOB_WORKERS``       in-process job worker threads per server process (0: none,
                              jobs are run by ``rosetta worker``)
``ROSETTA_RAY_ADDRESS``       run batch jobs on this Ray cluster (``ray.init(address=...)``)
``ROSETTA_PROPOSER_MODELS``   JSON object: each proposer's model, a local folder, a Hugging
                              Face repo id in the local cache or an endpoint
                              (``{"sam": "/models/sam-vit-base",
                              "llm": "http://127.0.0.1:8080/v1#llava"}``); proposers whose
                              weights ship in their package need none
============================  ============================================================
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What a Rosetta server needs to know about its environment."""

    model_config = SettingsConfigDict(env_prefix="ROSETTA_", frozen=True)

    database_url: str = "sqlite:///rosetta.db"
    media_roots: tuple[Path, ...] = ()
    remote_media: tuple[str, ...] = ()
    data_dir: Path = Path("rosetta-data")
    max_upload_bytes: int = Field(default=2 << 30, gt=0)
    archive_members: int = Field(default=100_000, gt=0)
    cookie_secure: bool = True
    dev: bool = False
    session_hours: float = Field(default=12.0, gt=0)
    job_workers: int = Field(default=2, ge=0)
    ray_address: str | None = None
    proposer_models: tuple[tuple[str, str], ...] = ()

    @field_validator("proposer_models", mode="before")
    @classmethod
    def _model_pairs(cls, value: object) -> object:
        """A JSON object (or mapping) becomes sorted pairs, so settings stay hashable."""
        return tuple(sorted(value.items())) if isinstance(value, Mapping) else value

    @model_validator(mode="after")
    def _safe(self) -> Self:
        if not self.cookie_secure and not self.dev:
            raise ValueError(
                "ROSETTA_COOKIE_SECURE=false sends session cookies over plain HTTP; "
                "it is allowed only with ROSETTA_DEV=true"
            )
        for prefix in self.remote_media:
            if "://" not in prefix or prefix.endswith("://"):
                raise ValueError(
                    f"remote media prefix {prefix!r} must be a URL with a host or bucket "
                    "(https://cdn.example.org/, s3://bucket/)"
                )
        return self
