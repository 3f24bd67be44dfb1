"""Background jobs: submit one (an export, any kind), follow it (status, progress, log),
wait for it, cancel or retry it; download what an export wrote; upload a file to import.
"""

import os
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import TypeAdapter

from rosetta.core.errors import RosettaError
from rosetta.sdk.models import Job, JobLog, JobStatus, ShardFile
from rosetta.sdk.pages import Page, Pages
from rosetta.sdk.transport import CHUNK, MethodGroup, segment

_JOB = TypeAdapter(Job)
_JOBS = TypeAdapter(list[Job])
_LOGS = TypeAdapter(list[JobLog])
_FILES = TypeAdapter(list[ShardFile])

#: A job or its id.
JobRef = Job | str


def _job_id(job: JobRef) -> str:
    return job.id if isinstance(job, Job) else job


def _job_path(job: JobRef) -> str:
    return f"/api/jobs/{segment(_job_id(job))}"


def _parts(name: str) -> tuple[str, ...]:
    """The parts of a file name the server sent, which must stay inside the folder."""
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(part in ("..", ".") for part in parts):
        raise RosettaError(f"the server named an export file {name!r}, outside its folder")
    return parts


def file_chunks(path: Path) -> Iterator[bytes]:
    """The bytes of the file at `path`, a chunk at a time (an upload's body)."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


class JobMethods(MethodGroup):
    """Jobs, exports and imports."""

    def submit_job(self, project: str, kind: str, params: Mapping[str, Any] | None = None) -> Job:
        """Queue a job of `kind` (``export``, ``import``, ``probe``, ``prepare``,
        ``prepare-project``, ``enqueue``, ``qa``, ``format-import``, ``format-export``) in
        the project with its `params` (managers). The same work queued or running already
        is returned instead."""
        body = {"kind": kind, "params": dict(params or {})}
        return self._http.parse(_JOB, "POST", f"/api/projects/{segment(project)}/jobs", json=body)

    def submit_export(
        self,
        project: str,
        *,
        shard_size: int = 1000,
        formats: Collection[str] = ("jsonl", "parquet"),
        tracks: str = "sparse",
    ) -> Job:
        """Queue an export of the project as shards of `shard_size` samples in `formats`
        (``jsonl``: native lines; ``parquet``), tracks ``sparse`` (key frames) or
        ``dense``. Follow it with `wait`, then `download_export`."""
        params = {"shard_size": shard_size, "formats": list(formats), "tracks": tracks}
        return self.submit_job(project, "export", params)

    def job(self, job: JobRef) -> Job:
        """The job as it is now."""
        return self._http.parse(_JOB, "GET", _job_path(job))

    def jobs(
        self, project: str, *, status: JobStatus | None = None, page_size: int = 50
    ) -> Pages[Job]:
        """The project's jobs (with `status`, when given), newest first."""
        path = f"/api/projects/{segment(project)}/jobs"

        def fetch(cursor: str | None) -> Page[Job]:
            params = {"status": status, "limit": page_size, "cursor": cursor}
            body = self._http.request("GET", path, params=params).json()
            return _JOBS.validate_python(body["items"]), body["next_cursor"]

        return Pages(f"jobs of project {project!r}", fetch)

    def wait(
        self,
        job: JobRef,
        *,
        poll: float = 0.5,
        timeout: float | None = None,
        progress: Callable[[Job], None] | None = None,
    ) -> Job:
        """The job once it is done, asking every `poll` seconds; `progress` is called with
        the job each time. A job that failed or was cancelled raises `RosettaError` with
        its error; `TimeoutError` after `timeout` seconds (the job goes on)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            current = self.job(job)
            if progress is not None:
                progress(current)
            if current.status == "done":
                return current
            if current.status in ("failed", "cancelled"):
                reason = current.error or current.message or "no reason given"
                raise RosettaError(f"job {current.id} ({current.kind}) {current.status}: {reason}")
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(
                    f"job {current.id} ({current.kind}) is still {current.status} "
                    f"after {timeout} s ({current.progress:.0%})"
                )
            time.sleep(poll)

    def cancel_job(self, job: JobRef) -> Job:
        """Cancel the job: a queued one at once, a running one at its next progress report
        (``cancelling`` until then)."""
        return self._http.parse(_JOB, "POST", f"{_job_path(job)}/cancel")

    def retry_job(self, job: JobRef) -> Job:
        """Queue a failed or cancelled job again; it resumes from its checkpoint."""
        return self._http.parse(_JOB, "POST", f"{_job_path(job)}/retry")

    def job_logs(self, job: JobRef, *, page_size: int = 200) -> Pages[JobLog]:
        """The job's log lines so far, oldest first."""
        path = f"{_job_path(job)}/logs"

        def fetch(after: str | None) -> Page[JobLog]:
            params = {"after": int(after or 0), "limit": page_size}
            body = self._http.request("GET", path, params=params).json()
            lines = _LOGS.validate_python(body["items"])
            return lines, str(body["next_after"]) if len(lines) == page_size else None

        return Pages(f"the log of job {_job_id(job)}", fetch)

    def job_files(self, job: JobRef) -> list[ShardFile]:
        """The files the job wrote so far, by name: an export's finished shards (and once
        it is done its dataset card), a foreign-format export's files once it is done."""
        body = self._http.request("GET", f"{_job_path(job)}/files").json()
        return _FILES.validate_python(body["items"])

    def download_export(
        self, job: JobRef, folder: str | os.PathLike[str], *, formats: Collection[str] | None = None
    ) -> list[Path]:
        """Download the files an export wrote (with `formats`: only the shards in those
        formats) into `folder` (made if missing, sub-folders as the export has them), each
        streamed to disk in chunks; their paths, by name. A file is written under a
        ``.part`` name and renamed once complete."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for file in self.job_files(job):
            if formats is None or file.format in formats:
                parts = _parts(file.name)
                path = target.joinpath(*parts)
                path.parent.mkdir(parents=True, exist_ok=True)
                url = f"{_job_path(job)}/files/{'/'.join(segment(part) for part in parts)}"
                written.append(self._http.download(url, path, size=file.size))
        return written

    def upload_import(
        self, project: str, path: str | os.PathLike[str], *, new_ids: bool = False
    ) -> Job:
        """Upload a native JSONL file (streamed in chunks, never read whole) and queue its
        import into the project (managers); `new_ids` gives every record a fresh id.
        Follow the job with `wait`."""
        source = Path(path)
        headers = {
            "Content-Type": "application/x-ndjson",
            "Content-Length": str(source.stat().st_size),
        }
        return self._http.parse(
            _JOB,
            "POST",
            f"/api/projects/{segment(project)}/imports",
            params={"new_ids": new_ids},
            content=file_chunks(source),
            headers=headers,
        )
