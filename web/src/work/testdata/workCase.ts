import type { ClockSpec } from "../../clock/clockMap";
import type { FrameTableJson } from "../../clock/frames";
import type { Sample } from "../objects";
import type { SampleWork, SubmittedWork } from "../store";

/** A call of the work store: its method and arguments. */
export type Edit = [string, ...unknown[]];

/** One submission to the real app: what was read, edited, sent, and what came back. */
export interface WorkStep {
  name: string;
  read: Sample;
  etag: string;
  edits: Edit[];
  body: SampleWork;
  status: 200 | 409;
  /** The `SubmittedWork` of a 200, or the error body of a 409. */
  answer: SubmittedWork | { error: Record<string, unknown> };
  answerEtag: string | null;
}

/** One save of a sequence: the store calls made since the last, what was sent, the 200. */
export interface WorkRound {
  edits: Edit[];
  body: SampleWork;
  answer: SubmittedWork;
  answerEtag: string;
}

/** An edit saved, then undone and saved, then redone and saved, through the real app. */
export interface WorkSequence {
  name: string;
  read: Sample;
  etag: string;
  rounds: WorkRound[];
}

/** What `make_work_cases.py` recorded from the real app. */
export interface WorkCases {
  steps: WorkStep[];
  sequences: WorkSequence[];
  /** `GET /api/streams/slideshow.video/frames` of the demo. */
  frames: FrameTableJson & { seconds: number[]; clock: ClockSpec };
}
