import { useEffect, useState, type FormEvent, type KeyboardEvent } from "react";

import { api } from "../app/api";
import { useLoad } from "../app/useLoad";
import { unwrap } from "../api/client";
import { Dialog } from "../editing/Dialog";
import { LoadState } from "../ui/feedback";
import {
  fileUrl,
  formatJobState,
  formatsFor,
  importQuery,
  type ExportFile,
  type ImportForm,
  type Job,
} from "./formatJobs";

/** How often a running job is asked where it stands (ms). */
const POLL = 700;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * "Import / export" for a project's managers: upload a file (or a .zip of a folder) in
 * another tool's format with a label mapping, or export the project in one; the job the
 * dialog started, its progress and failure reason, and an export's files to download.
 * `Esc` closes it; the page's own shortcuts wait while it is open. `onImported` is called
 * when an import it started has succeeded (the page lists the new samples).
 */
export function FormatDialog({
  project,
  onClose,
  onImported,
}: {
  project: string;
  onClose: () => void;
  onImported: () => void;
}) {
  const formats = useLoad(async (signal) => unwrap(await api.GET("/api/formats", { signal })), []);
  const [job, setJob] = useState<Job | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  function started(submission: Promise<Job>): void {
    setFailure(null);
    setJob(null);
    submission.then(setJob, (error: unknown) => setFailure(message(error)));
  }

  function onKeyDown(event: KeyboardEvent): void {
    if (event.key === "Escape") onClose();
    event.stopPropagation(); // the page's shortcuts (j, k, n, Enter) wait while it is open
  }

  const readable = formats.state === "done" ? formatsFor(formats.data, "read") : [];
  const writable = formats.state === "done" ? formatsFor(formats.data, "write") : [];
  return (
    <Dialog title="Import / export" className="formats" onClose={onClose}>
      <div className="format-dialog" onKeyDown={onKeyDown}>
        <LoadState loaded={formats} what="the formats" />
        {formats.state === "done" && (
          <>
            <ImportPart project={project} formats={readable.map((f) => f.name)} onStart={started} />
            <ExportPart project={project} formats={writable.map((f) => f.name)} onStart={started} />
          </>
        )}
        {failure !== null && (
          <p className="error" role="alert">
            Could not start: {failure}
          </p>
        )}
        {job !== null && <JobRow key={job.id} first={job} onImported={onImported} />}
        <div className="dialog-actions">
          <button type="button" className="quiet" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Dialog>
  );
}

const EMPTY: ImportForm = { format: "", mapping: "", mediaRoot: "", defaultLabel: "", newIds: false };

function ImportPart({
  project,
  formats,
  onStart,
}: {
  project: string;
  formats: string[];
  onStart: (submission: Promise<Job>) => void;
}) {
  const [form, setForm] = useState<ImportForm>({ ...EMPTY, format: formats[0] ?? "" });
  const [file, setFile] = useState<File | null>(null);
  const change = (part: Partial<ImportForm>): void => setForm((current) => ({ ...current, ...part }));

  function submit(event: FormEvent): void {
    event.preventDefault();
    if (file === null) return;
    onStart(
      api
        .POST("/api/projects/{project}/format-imports", {
          params: { path: { project }, query: importQuery(form, file.name) },
          // the raw file is the body, streamed as the browser reads it
          body: file as unknown as string,
          bodySerializer: (body) => body,
          headers: { "Content-Type": "application/octet-stream" },
        })
        .then(unwrap),
    );
  }

  return (
    <form className="format-part" aria-label="Import" onSubmit={submit}>
      <h3>Import</h3>
      <label>
        Format{" "}
        <select autoFocus value={form.format} onChange={(event) => change({ format: event.target.value })}>
          {formats.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <label>
        File or .zip of a folder{" "}
        <input type="file" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
      </label>
      <label className="stacked">
        Label mapping (YAML or JSON)
        <textarea
          rows={4}
          value={form.mapping}
          placeholder={"labels: {Pedestrian: person}\ndrop: [DontCare]"}
          onChange={(event) => change({ mapping: event.target.value })}
        />
      </label>
      <label>
        Mapping file{" "}
        <input
          type="file"
          accept=".yaml,.yml,.json"
          onChange={(event) => {
            const chosen = event.target.files?.[0];
            if (chosen !== undefined) void chosen.text().then((text) => change({ mapping: text }));
          }}
        />
      </label>
      <label>
        Media root{" "}
        <input
          value={form.mediaRoot}
          placeholder="a folder of the server's media roots"
          onChange={(event) => change({ mediaRoot: event.target.value })}
        />
      </label>
      <label>
        Default label <input value={form.defaultLabel} onChange={(event) => change({ defaultLabel: event.target.value })} />
      </label>
      <label>
        <input type="checkbox" checked={form.newIds} onChange={(event) => change({ newIds: event.target.checked })} /> New
        ids for every record
      </label>
      <button type="submit" disabled={file === null || form.format === ""}>
        Start import
      </button>
    </form>
  );
}

function ExportPart({
  project,
  formats,
  onStart,
}: {
  project: string;
  formats: string[];
  onStart: (submission: Promise<Job>) => void;
}) {
  const [format, setFormat] = useState(formats[0] ?? "");
  const [tracks, setTracks] = useState<"sparse" | "dense">("sparse");

  function submit(event: FormEvent): void {
    event.preventDefault();
    onStart(
      api
        .POST("/api/projects/{project}/jobs", {
          params: { path: { project } },
          body: { kind: "format-export", params: { format, tracks } },
        })
        .then(unwrap),
    );
  }

  return (
    <form className="format-part" aria-label="Export" onSubmit={submit}>
      <h3>Export</h3>
      <label>
        Format{" "}
        <select value={format} onChange={(event) => setFormat(event.target.value)}>
          {formats.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <label>
        Tracks{" "}
        <select value={tracks} onChange={(event) => setTracks(event.target.value === "dense" ? "dense" : "sparse")}>
          <option value="sparse">key frames</option>
          <option value="dense">every frame</option>
        </select>
      </label>
      <button type="submit" disabled={format === ""}>
        Start export
      </button>
    </form>
  );
}

/** The job the dialog started, followed until it finishes; an export's files then. */
function JobRow({ first, onImported }: { first: Job; onImported: () => void }) {
  const [job, setJob] = useState(first);
  const [files, setFiles] = useState<ExportFile[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const state = formatJobState(job);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    if (!state.finished) {
      const timer = setTimeout(() => {
        api
          .GET("/api/jobs/{job_id}", { params: { path: { job_id: job.id } }, signal })
          .then(unwrap)
          .then(setJob, (error: unknown) => {
            if (!signal.aborted) setFailure(message(error));
          });
      }, POLL);
      return () => {
        clearTimeout(timer);
        controller.abort();
      };
    }
    if (job.kind === "format-import" && !state.failed) onImported();
    if (job.kind === "format-export" && !state.failed) {
      api
        .GET("/api/jobs/{job_id}/files", { params: { path: { job_id: job.id } }, signal })
        .then(unwrap)
        .then(
          (listed) => setFiles(listed.items),
          (error: unknown) => {
            if (!signal.aborted) setFailure(message(error));
          },
        );
    }
    return () => controller.abort();
  }, [job, state.finished, state.failed, onImported]);

  return (
    <section className="format-job" aria-label="Job">
      <p className={state.failed ? "error job-state" : "muted job-state"} role="status">
        {!state.finished && <progress max={1} value={job.progress} />} {state.text}
      </p>
      {files !== null && (
        <ul className="export-files" aria-label="Exported files">
          {files.map((file) => (
            <li key={file.name}>
              <a href={fileUrl(job.id, file.name)} download>
                {file.name}
              </a>{" "}
              <span className="muted">{file.size} bytes</span>
            </li>
          ))}
        </ul>
      )}
      {failure !== null && (
        <p className="error" role="alert">
          Could not follow the job: {failure}
        </p>
      )}
    </section>
  );
}
