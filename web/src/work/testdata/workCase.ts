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

/** What `make_work_cases.py` recorded from the real app. */
export interface WorkCases {
  steps: WorkStep[];
  /** `GET /api/streams/slideshow.video/frames` of the demo. */
  frames: FrameTableJson & { seconds: number[]; clock: ClockSpec };
}
