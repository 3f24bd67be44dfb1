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
``ROSETTA_MAX_ARCHIVE_MEMBER_BYTES``  the most one ``.zip`` member may inflate to (1 GiB)
``ROSETTA_MAX_BODY_BYTES``    the largest request body other than an upload (default
                              32 MiB); a larger one is refused with 413 while it streams
``ROSETTA_MAX_IMPORT_LINE_BYTES``  the longest line (one sample) of a native JSONL file
                              the server imports (default 64 MiB); a longer one fails the
                              import naming its line
``ROSETTA_MAX_PENDING_JOBS``  the most jobs a project may have queued or running at once
                              (default 100); one more is refused with 429
``ROSETTA_LOGIN_FAILURES_PER_NAME``     failed password logins to one user name within
                              the window before its logins are refused with 429 (default 10)
``ROSETTA_LOGIN_FAILURES_PER_ADDRESS``  the same from one client address (default 50)
``ROSETTA_LOGIN_WINDOW_MINUTES``  the sliding window those failures count in (default 15)
``ROSETTA_COOKIE_SECURE``     session cookies only over HTTPS (default true; false only
                              with ``ROSETTA_DEV=true``)
``ROSETTA_DEV``               development mode: allows insecure cookies
``ROSETTA_SESSION_HOURS``     how long a browser session lasts
``ROSETTA_JOB_WORKERS``       in-process job worker threads per server process (0: none,
                              jobs are run by ``rosetta worker``)
``ROSETTA_RAY_ADDRESS``       run batch jobs on this Ray cluster (``ray.init(address=...)``);
                              a cluster with token authentication also needs Ray's own
                              ``RAY_AUTH_MODE=token`` and ``RAY_AUTH_TOKEN_PATH`` set
                              when the process starts
``ROSETTA_PROPOSER_MODELS``   JSON object: each proposer's model, a local folder, a Hugging
                              Face repo id in the local cache or an endpoint
                              (``{"sam": "/models/sam-vit-base",
                              "llm": "http://127.0.0.1:8080/v1#llava"}``); proposers whose
                              weights ship in their package need none
``ROSETTA_PUBLIC_URL``        the server's address as proposers on other machines reach
                              it (``https://rosetta.example.org``); with it, each proposer
                              request carries a URL of its stream's media with a short-lived
                              grant (`rosetta.services.media_grants`); unset, none does.
                              ``https`` unless the host is loopback or ``ROSETTA_DEV=true``
``ROSETTA_GRANT_MINUTES``     how long such a grant lasts (default 15)
============================  ============================================================
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Hosts a plain-HTTP public URL may name outside development mode: this machine.
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class Settings(BaseSettings):
    """What a Rosetta server needs to know about its environment."""

    model_config = SettingsConfigDict(env_prefix="ROSETTA_", frozen=True)

    database_url: str = "sqlite:///rosetta.db"
    media_roots: tuple[Path, ...] = ()
    remote_media: tuple[str, ...] = ()
    data_dir: Path = Path("rosetta-data")
    max_upload_bytes: int = Field(default=2 << 30, gt=0)
    archive_members: int = Field(default=100_000, gt=0)
    max_archive_member_bytes: int = Field(default=1 << 30, gt=0)
    max_body_bytes: int = Field(default=32 << 20, gt=0)
    max_import_line_bytes: int = Field(default=64 << 20, gt=0)
    max_pending_jobs: int = Field(default=100, gt=0)
    login_failures_per_name: int = Field(default=10, gt=0)
    login_failures_per_address: int = Field(default=50, gt=0)
    login_window_minutes: float = Field(default=15.0, gt=0)
    cookie_secure: bool = True
    dev: bool = False
    session_hours: float = Field(default=12.0, gt=0)
    job_workers: int = Field(default=2, ge=0)
    ray_address: str | None = None
    proposer_models: tuple[tuple[str, str], ...] = ()
    public_url: str | None = None
    grant_minutes: float = Field(default=15.0, gt=0, le=24 * 60)

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
        if self.public_url is not None:
            _check_public_url(self.public_url, dev=self.dev)
        for prefix in self.remote_media:
            if "://" not in prefix or prefix.endswith("://"):
                raise ValueError(
                    f"remote media prefix {prefix!r} must be a URL with a host or bucket "
                    "(https://cdn.example.org/, s3://bucket/)"
                )
        return self


def _check_public_url(url: str, *, dev: bool) -> None:
    """Refuse a public URL that is not ``http(s)://host[:port][/path]``, or that would send
    media grants over plain HTTP beyond this machine outside development mode."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"ROSETTA_PUBLIC_URL {url!r} must be http(s)://host[:port][/path], without a "
            "query or fragment"
        )
    if "@" in parts.netloc:
        raise ValueError(f"ROSETTA_PUBLIC_URL {url!r} must not carry credentials")
    if parts.scheme == "http" and not dev and parts.hostname not in _LOOPBACK:
        raise ValueError(
            f"ROSETTA_PUBLIC_URL {url!r} would send media grants over plain HTTP; use "
            "https, or set ROSETTA_DEV=true"
        )
