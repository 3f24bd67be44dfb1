/**
 * The QA checks' findings in the side panel: the sample's open findings first (severity,
 * check, message, the suggested fix), then the resolved and waived ones folded away with
 * who closed them and why. Clicking a finding selects the object it points at, so the
 * panes bring it into view. Reviewers and above waive (with a reason, typed inline),
 * resolve and reopen findings, each change sent with the revision it was read at; a
 * refusal because the finding changed meanwhile reloads the list and says so. The list is
 * read again after each save of the work (the server re-checks what changed).
 */
import { useCallback, useEffect, useMemo, useState, type FormEvent } from "react";

import { api } from "../app/api";
import { ApiError, ifMatch, unwrap } from "../api/client";
import { plural } from "../ui/plural";
import { useWork, useWorkspace } from "../workspace/Workspace";
import { useCommandContext, useEditing } from "./EditingProvider";
import {
  closedState,
  currentOf,
  findingActions,
  findingChange,
  findingTarget,
  groupFindings,
  MAX_REASON,
  reasonProblem,
  staleNotice,
  type Finding,
  type FindingAction,
} from "./findings";

const ACTION_LABELS: Readonly<Record<FindingAction, string>> = {
  waive: "Waive…",
  resolve: "Resolve",
  reopen: "Reopen",
};

/** The side panel's "Findings" section. */
export function FindingsPanel() {
  const { sample } = useWorkspace();
  const { canReview } = useEditing();
  const context = useCommandContext();
  const work = useWork((state) => state.work);
  // a new ETag is a save of the work: the server has re-checked the sample by the next read
  const etag = useWork((state) => state.etag);
  const [items, setItems] = useState<Finding[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const reload = useCallback(() => setReloads((n) => n + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    api
      .GET("/api/samples/{sample_id}/findings", { params: { path: { sample_id: sample.id } }, signal: controller.signal })
      .then(unwrap)
      .then(
        (found) => {
          setItems(found);
          setFailure(null);
        },
        (error: unknown) => {
          if (!controller.signal.aborted) setFailure(error instanceof Error ? error.message : String(error));
        },
      );
    return () => controller.abort();
  }, [sample.id, etag, reloads]);

  const ids = useMemo(
    () => new Set([...work.annotations, ...work.links, ...work.entities].map((item) => item.id)),
    [work],
  );
  const groups = useMemo(() => groupFindings(items ?? []), [items]);

  /** Send `action` on `finding` (with `reason`); whether it went through. */
  const change = async (finding: Finding, action: FindingAction, reason = ""): Promise<boolean> => {
    setNotice(null);
    try {
      unwrap(
        await api.PATCH("/api/findings/{finding_id}", {
          params: { path: { finding_id: finding.id }, header: ifMatch(finding.revision) },
          body: findingChange(action, reason),
        }),
      );
      reload();
      return true;
    } catch (error: unknown) {
      if (error instanceof ApiError && error.status === 409) {
        setNotice(staleNotice(currentOf(error.fields)));
        reload();
      } else setNotice(error instanceof Error ? error.message : String(error));
      return false;
    }
  };

  const select = (id: string): void => context.focus.getState().select([id]);
  const row = (finding: Finding) => (
    <FindingItem
      key={finding.id}
      finding={finding}
      target={findingTarget(finding, (id) => ids.has(id))}
      onSelect={select}
      onChange={canReview ? (action, reason) => change(finding, action, reason) : null}
    />
  );
  return (
    <section className="side-section findings" aria-label="Findings of the checks">
      <h2>
        Findings
        <span
          className={`badge findings-count${groups.open.length > 0 ? " has-open" : ""}`}
          aria-label={plural(groups.open.length, "open finding")}
          title="Open findings"
        >
          {groups.open.length}
        </span>
      </h2>
      {failure !== null && (
        <p className="error" role="alert">
          Could not load the findings: {failure}
        </p>
      )}
      {notice !== null && (
        <p className="notice" role="status" aria-label="Findings notice">
          {notice}
        </p>
      )}
      {items === null && failure === null && <p className="muted">Loading the findings…</p>}
      {items !== null && (
        <ul className="object-list finding-list" aria-label="Open findings">
          {groups.open.map(row)}
          {groups.open.length === 0 && <li className="muted">None open: the checks found nothing to look at.</li>}
        </ul>
      )}
      {groups.closed.length > 0 && (
        <details className="closed-findings">
          <summary>Resolved or waived ({groups.closed.length})</summary>
          <ul className="object-list finding-list" aria-label="Resolved or waived findings">
            {groups.closed.map(row)}
          </ul>
        </details>
      )}
    </section>
  );
}

/** One finding: its severity, check and message (a button selecting `target`, when the
 * work holds it), the suggested fix or where it stands, and the reviewer's buttons. */
function FindingItem({
  finding,
  target,
  onSelect,
  onChange,
}: {
  finding: Finding;
  target: string | null;
  onSelect: (id: string) => void;
  onChange: ((action: FindingAction, reason?: string) => Promise<boolean>) | null;
}) {
  const [waiving, setWaiving] = useState(false);
  const [busy, setBusy] = useState(false);
  const act = (action: FindingAction): void => {
    if (action === "waive") {
      setWaiving(true);
      return;
    }
    if (onChange === null) return;
    setBusy(true);
    void onChange(action).finally(() => setBusy(false));
  };
  const summary = (
    <>
      <span className={`badge severity-${finding.severity}`}>{finding.severity}</span>{" "}
      <strong className="check">{finding.check}</strong> <span className="message">{finding.message}</span>
    </>
  );
  return (
    <li className="finding" data-finding={finding.id} data-check={finding.check} data-status={finding.status}>
      {target === null ? (
        <p className="finding-main">{summary}</p>
      ) : (
        <button
          type="button"
          className="quiet finding-main"
          title="Select what it is about"
          onClick={() => onSelect(target)}
        >
          {summary}
        </button>
      )}
      {finding.status !== "open" && <p className="muted state">{closedState(finding)}</p>}
      {finding.status === "open" && finding.fix !== null && <p className="muted fix">Fix: {finding.fix}</p>}
      {onChange !== null && !waiving && (
        <span className="finding-actions">
          {findingActions(finding).map((action) => (
            <button key={action} type="button" className="quiet" disabled={busy} onClick={() => act(action)}>
              {ACTION_LABELS[action]}
            </button>
          ))}
        </span>
      )}
      {onChange !== null && waiving && (
        <WaiveForm onCancel={() => setWaiving(false)} onWaive={(reason) => onChange("waive", reason)} />
      )}
    </li>
  );
}

/** The inline form asking why a finding is waived. */
function WaiveForm({ onCancel, onWaive }: { onCancel: () => void; onWaive: (reason: string) => Promise<boolean> }) {
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const send = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const found = reasonProblem("waive", reason);
    setProblem(found);
    if (found !== null) return;
    setSending(true);
    const done = await onWaive(reason);
    setSending(false);
    if (done) onCancel();
  };
  return (
    <form
      className="waive-form"
      aria-label="Waive the finding"
      onSubmit={(event) => void send(event)}
      onKeyDown={(event) => {
        // keys typed here are the form's, never the workspace's shortcuts
        event.stopPropagation();
        if (event.key === "Escape") onCancel();
      }}
    >
      <label>
        Reason
        <textarea
          autoFocus
          rows={2}
          maxLength={MAX_REASON}
          value={reason}
          placeholder="Why this is fine as it is"
          onChange={(event) => {
            setReason(event.target.value);
            setProblem(null);
          }}
        />
      </label>
      {problem !== null && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <span className="actions">
        <button type="submit" disabled={sending}>
          Waive
        </button>
        <button type="button" className="quiet" onClick={onCancel}>
          Cancel
        </button>
      </span>
    </form>
  );
}
