/**
 * Asking a model for candidates in the workspace. The installed proposers come from
 * `GET /api/proposers` (what each works on, the prompts it takes, why it cannot run here);
 * a request goes to `POST /api/samples/{id}/proposals` with the stream, the prompt (clicks,
 * a box, text, the video frame), the class chosen for what the model proposes without one
 * (`label`) and its parameters, and answers with the candidates it stored.
 *
 * The Model tool gathers the prompt on an image, or on the video frame shown: a click adds
 * a point on the thing (Shift or Alt: off it), Enter sends the points, a drag sends its
 * box with them.
 * A proposal moves the sample's revision, so it runs `exclusive`ly with the saves and the
 * sample is read again afterwards (`WorkState.refresh`: the new candidates join the work,
 * edits not yet saved stay on top). Framework-free: the state is a zustand store, the I/O
 * is passed in.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

import { ApiError, type Schemas } from "../api/client";
import type { OntologyIndex } from "../ontology/ontology";
import type { Annotation } from "../work/objects";
import type { WorkState } from "../work/store";
import type { Exclusive, LoadSample } from "./candidates";
import type { Notice } from "./editor";
import { plural } from "../ui/plural";

export type ProposerInfo = Schemas["ProposerInfo"];
export type ProposalAsk = Schemas["ProposalAsk"];
export type Prompt = Schemas["Prompt"];
export type PromptPoint = Schemas["PromptPoint"];
export type Modality = Schemas["Modality"];
type BoxPrompt = NonNullable<Prompt["box"]>;

/** The proposers that work on streams of `modality`, in the server's order. */
export function proposersFor(all: readonly ProposerInfo[], modality: Modality): ProposerInfo[] {
  return all.filter((p) => p.modalities.includes(modality));
}

/** Whether a proposer takes the image tool's prompts: clicks or a box. */
export function takesPointer(proposer: ProposerInfo): boolean {
  return proposer.prompts.includes("points") || proposer.prompts.includes("box");
}

/** The proposers the Model tool offers: those that take clicks or a box on images or
 * video frames. */
export function pointerProposers(all: readonly ProposerInfo[]): ProposerInfo[] {
  const pictures = new Set<Modality>(["image", "video"]);
  return all.filter((p) => takesPointer(p) && p.modalities.some((m) => pictures.has(m)));
}

/** Whether a proposer runs from a stream's Propose menu: without a prompt, or with text. */
export function takesMenu(proposer: ProposerInfo): boolean {
  return !proposer.prompt_required || proposer.prompts.includes("text");
}

/** The classes that may label what `proposer` proposes (one of its geometries), not
 * deprecated, in ontology order (as the server offers them to it). */
export function classesFor(ontology: OntologyIndex, proposer: Pick<ProposerInfo, "geometries">): string[] {
  const fits = (name: string): boolean => proposer.geometries.some((g) => ontology.allowsGeometry(name, g));
  return ontology.classes.filter((cls) => !(cls.deprecated ?? false) && fits(cls.name)).map((cls) => cls.name);
}

/** The proposer the Model tool should use: `current` when it may (one of
 * `pointerProposers` that can run here), else the first that may, else `null`. */
export function usableProposer(all: readonly ProposerInfo[], current: string | null): string | null {
  const usable = pointerProposers(all).filter((p) => p.unavailable === null);
  return usable.find((p) => p.name === current)?.name ?? usable[0]?.name ?? null;
}

/** `label` when it may label what `proposer` proposes, else the first class that may. */
export function usableClass(
  ontology: OntologyIndex,
  proposer: Pick<ProposerInfo, "geometries">,
  label: string | null,
): string | null {
  const classes = classesFor(ontology, proposer);
  return classes.find((name) => name === label) ?? classes[0] ?? null;
}

/** The prompt of the Model tool: the points clicked, the box dragged if any, on video
 * the frame they were given on. */
export function pointerPrompt(
  points: readonly PromptPoint[],
  box: BoxPrompt | null,
  frame: number | null = null,
): Prompt {
  const prompt: Prompt = box === null ? { points: [...points] } : { points: [...points], box };
  return frame === null ? prompt : { ...prompt, frame };
}

/** Points clicked for a model on one stream (and video frame: `null` on an image). */
export interface Clicked {
  readonly stream: string;
  readonly frame: number | null;
  readonly points: readonly PromptPoint[];
}

/** The server's answer to a request: the candidates made, or an error status and body. */
export type ProposalAnswer =
  | { readonly ok: true; readonly body: Annotation[] }
  | { readonly ok: false; readonly status: number; readonly body: unknown };

/** Sends a request for candidates on the sample; rejects only when no answer came. */
export type SendProposal = (ask: ProposalAsk) => Promise<ProposalAnswer>;

/** Reads the installed proposers. */
export type ListProposers = () => Promise<ProposerInfo[]>;

export interface ProposalState {
  /** The installed proposers; `null` until they are read. */
  readonly proposers: readonly ProposerInfo[] | null;
  /** Why they could not be read. */
  readonly listError: string | null;
  /** The Model tool's proposer and class (`null`: none chosen yet). */
  readonly proposer: string | null;
  readonly label: string | null;
  /** The points clicked so far, on one stream (and frame). */
  readonly points: Clicked | null;
  /** The request on its way, if any. */
  readonly busy: { readonly stream: string; readonly proposer: string } | null;
  /** Why the last request failed (`null`: it did not). */
  readonly error: string | null;
  choose(proposer: string): void;
  setLabel(label: string): void;
  /** Add a point on `stream` (on video: on `frame`); the points of another stream or
   * frame are dropped. */
  addPoint(stream: string, point: PromptPoint, frame?: number | null): void;
  /** Drop the points clicked; whether there were any. */
  clearPoints(): boolean;
}

export interface Proposals {
  readonly state: StoreApi<ProposalState>;
  /** Read the installed proposers (once; again after a failure). */
  list(): Promise<void>;
  /** Ask for candidates; those the model made (empty: it found nothing), or `null` when
   * the request failed (the person is told why, and `error` says it). */
  ask(request: ProposalAsk): Promise<Annotation[] | null>;
  /** Send the points clicked on `stream` (and `frame`) with the Model tool's proposer and
   * class, and the dragged `box` if any; as `ask`. The points are cleared when it succeeds. */
  askWithPointer(stream: string, box: BoxPrompt | null, frame?: number | null): Promise<Annotation[] | null>;
}

export interface ProposalOptions {
  readonly work: StoreApi<WorkState>;
  readonly send: SendProposal;
  readonly list: ListProposers;
  readonly load: LoadSample;
  readonly exclusive: Exclusive;
  readonly notify: (notice: Notice) => void;
  /** Selects the candidates a request made. */
  readonly select: (ids: readonly string[]) => void;
}

function messageOf(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}

/** The proposals of the work in `work` (see the module). */
export function createProposals({ work, send, list, load, exclusive, notify, select }: ProposalOptions): Proposals {
  const state = createStore<ProposalState>()((set, get) => ({
    proposers: null,
    listError: null,
    proposer: null,
    label: null,
    points: null,
    busy: null,
    error: null,
    choose(proposer) {
      set({ proposer, error: null });
    },
    setLabel(label) {
      set({ label });
    },
    addPoint(stream, point, frame = null) {
      const now = get().points;
      const same = now?.stream === stream && now.frame === frame;
      set({ points: { stream, frame, points: same ? [...now.points, point] : [point] } });
    },
    clearPoints() {
      const had = get().points !== null;
      set({ points: null });
      return had;
    },
  }));
  let listing: Promise<void> | null = null;

  async function ask(request: ProposalAsk): Promise<Annotation[] | null> {
    const failed = (message: string): null => {
      state.setState({ error: message });
      notify({ tone: "error", text: `${request.proposer}: ${message}` });
      return null;
    };
    if (state.getState().busy !== null) return failed("a model is already at work: wait for it");
    state.setState({ busy: { stream: request.stream, proposer: request.proposer }, error: null });
    try {
      const made = await exclusive(async () => {
        if (work.getState().conflict !== null) return "resolve the conflict first";
        const answer = await send(request);
        if (!answer.ok) return new ApiError(answer.status, answer.body).message;
        const { sample, etag } = await load();
        work.getState().refresh(sample, etag);
        return answer.body;
      });
      if (typeof made === "string") return failed(made);
      notify({
        tone: "info",
        text:
          made.length === 0
            ? `${request.proposer} found nothing there.`
            : `${plural(made.length, "candidate")} from ${request.proposer}: accept (Y) or reject (Shift+Y).`,
      });
      if (made.length > 0) select(made.map((a) => a.id));
      return made;
    } catch (failure) {
      return failed(messageOf(failure));
    } finally {
      state.setState({ busy: null });
    }
  }

  return {
    state,
    list() {
      if (state.getState().proposers !== null) return Promise.resolve();
      listing ??= list()
        .then((proposers) => state.setState({ proposers, listError: null }))
        .catch((failure: unknown) => state.setState({ listError: messageOf(failure) }))
        .finally(() => {
          listing = null;
        });
      return listing;
    },
    ask,
    async askWithPointer(stream, box, frame = null) {
      const { proposer, label, points } = state.getState();
      if (proposer === null) {
        notify({ tone: "error", text: "Choose a model first (the Model tool's bar)." });
        return null;
      }
      const clicked = points?.stream === stream && points.frame === frame ? points.points : [];
      if (box === null && clicked.length === 0) {
        notify({ tone: "error", text: "Click on the thing (Shift or Alt: off it) or drag a box around it first." });
        return null;
      }
      const prompt = pointerPrompt(clicked, box, frame);
      const made = await ask({ proposer, stream, label, prompt, parameters: {} });
      if (made !== null) state.getState().clearPoints();
      return made;
    },
  };
}
