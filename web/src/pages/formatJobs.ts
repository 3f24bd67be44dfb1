/**
 * What the "Import / export" dialog works out before and after it talks to the server:
 * which formats it offers for each direction, the query of an upload, a job's state in
 * words, and where an export's files are downloaded.
 */
import type { Schemas } from "../api/client";

export type FormatInfo = Schemas["FormatInfo"];
export type Job = Schemas["Job"];
export type ExportFile = Schemas["ExportFile"];

const MANAGERS: ReadonlySet<string> = new Set(["manager", "admin"]);

/** Whether a person with `role` in a project imports and exports there (managers, admins). */
export function managesAs(role: string): boolean {
  return MANAGERS.has(role);
}

/** The formats Rosetta reads (`read`) or writes, by name. */
export function formatsFor(formats: readonly FormatInfo[], direction: "read" | "write"): FormatInfo[] {
  return formats.filter((format) => format[direction]).sort((a, b) => a.name.localeCompare(b.name));
}

/** What the import form holds. */
export interface ImportForm {
  format: string;
  /** The mapping as the person wrote it (YAML or JSON); blank: none. */
  mapping: string;
  mediaRoot: string;
  defaultLabel: string;
  newIds: boolean;
}

/** The query of the upload of `fileName` with `form`: blank fields left out. */
export function importQuery(form: ImportForm, fileName: string) {
  const given = (text: string): string | undefined => (text.trim() === "" ? undefined : text.trim());
  return {
    format: form.format,
    filename: fileName,
    mapping: form.mapping.trim() === "" ? undefined : form.mapping,
    media_root: given(form.mediaRoot),
    default_label: given(form.defaultLabel),
    new_ids: form.newIds,
  };
}

/** Where a format job stands: whether it has finished (and failed), and in words. */
export interface FormatJobState {
  finished: boolean;
  failed: boolean;
  text: string;
}

function count(value: unknown, one: string, many: string): string {
  const n = typeof value === "number" ? value : 0;
  return `${n} ${n === 1 ? one : many}`;
}

/** The state of the ``format-import`` or ``format-export`` job `job`. */
export function formatJobState(job: Job): FormatJobState {
  const importing = job.kind === "format-import";
  const what = importing ? "import" : "export";
  const said = job.message === null ? "" : ` · ${job.message}`;
  switch (job.status) {
    case "queued":
      return { finished: false, failed: false, text: "Queued: waiting for a worker…" };
    case "running":
      return { finished: false, failed: false, text: `${importing ? "Importing" : "Exporting"}: ${Math.round(job.progress * 100)}%${said}` };
    case "cancelling":
      return { finished: false, failed: false, text: "Stopping…" };
    case "done": {
      const result = job.result ?? {};
      if (importing) {
        const dropped = Object.entries((result["dropped"] ?? {}) as Record<string, number>)
          .map(([label, n]) => `, ${n} “${label}” dropped`)
          .join("");
        return {
          finished: true,
          failed: false,
          text:
            `Imported ${count(result["samples_written"], "sample", "samples")} ` +
            `(${typeof result["samples_skipped"] === "number" ? result["samples_skipped"] : 0} already there), ` +
            `${count(result["annotations"], "annotation", "annotations")}${dropped}.`,
        };
      }
      return {
        finished: true,
        failed: false,
        text: `Exported ${count(result["samples"], "sample", "samples")}, ${count(result["annotations"], "annotation", "annotations")}.`,
      };
    }
    case "failed":
      return { finished: true, failed: true, text: `The ${what} failed: ${job.error ?? "no reason given"}` };
    case "cancelled":
      return { finished: true, failed: true, text: `The ${what} was cancelled.` };
  }
}

/** Where the file `name` (a path in the export's folder) of job `jobId` is downloaded. */
export function fileUrl(jobId: string, name: string): string {
  const path = name.split("/").map(encodeURIComponent).join("/");
  return `/api/jobs/${encodeURIComponent(jobId)}/files/${path}`;
}
