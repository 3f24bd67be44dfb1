/**
 * One sample's media elements kept on its master clock.
 *
 * The master clock holds the state (playing, rate, position) and every change goes
 * through it: play, pause, seek and rate changes from any pane or key reach the elements
 * from here, and a video is parked frame-exactly whenever the clock stands still.
 *
 * Starting together: on play, and on a seek while playing, every element is paused, put
 * at the clock's position and played only once all of them are there (seeked, the data at
 * the position loaded) or `PREPARE_TICKS` animation frames have passed; meanwhile the clock
 * is held at that position. So a video that seeks slowly (decoding from a key frame) does not start
 * late behind the audio.
 *
 * While playing, the *time* comes from a hardware clock: the master clock is slaved to
 * one element, the leader (an audio element before a video one, `sync.pickLeader`). On
 * every animation frame, when the leader's position (as sample time) differs from the
 * clock's by more than `LEADER_TOLERANCE`, the clock is moved to it. So the clock waits
 * while the leader starts or buffers, and never runs ahead of what is heard; panes that
 * read the clock (transcript words, sensor cursors, overlays) show what plays. Every other
 * element follows the clock: nudged in rate when it drifts by more than a quarter of a
 * video frame, re-seeked when it is off by more than half a second (`sync.correction`).
 * Slaving the clock, rather than re-seeking the media to a clock of its own, avoids the
 * loop in which each re-seek of a starting element makes it late again, and the audible
 * skips of re-seeking audio. Without an element that plays (none in range, or play
 * refused) the clock runs on its own.
 */
import type { Fraction } from "../clock/fraction";
import type { FrameTable } from "../clock/frames";
import type { ClockEvent, MasterClock } from "../clock/master";
import type { SampleTimeline } from "../clock/timeline";
import { correction, mediaPosition, parkingTime, pickLeader, type MediaPosition } from "./sync";

/** The master clock is moved to the leader when they differ by more than this (seconds). */
export const LEADER_TOLERANCE = 0.008;
/** Elements that are not all ready after this many animation frames start anyway. */
export const PREPARE_TICKS = 120;
/** Playback rates closer than this (as a fraction) are not written to an element again. */
const RATE_EPSILON = 0.005;
/** `HTMLMediaElement.HAVE_CURRENT_DATA`: the data at the position is there (a paused
 * element that preloads only metadata buffers no further). */
const HAVE_CURRENT_DATA = 2;

/** The events of a media element the sync listens to. */
export type MediaEventName = "playing" | "waiting" | "seeking" | "seeked" | "ended";

/** What the sync uses of an `HTMLMediaElement`. */
export interface MediaLike {
  currentTime: number;
  playbackRate: number;
  readonly paused: boolean;
  readonly seeking: boolean;
  readonly readyState: number;
  /** Seconds; `NaN` before the metadata has loaded. */
  readonly duration: number;
  play(): Promise<void>;
  pause(): void;
  addEventListener(type: MediaEventName, listener: () => void): void;
  removeEventListener(type: MediaEventName, listener: () => void): void;
}

/** A media element of one stream of the sample. */
export interface MediaMember {
  readonly streamId: string;
  readonly kind: "audio" | "video";
  readonly element: MediaLike;
  /** The video's frame table, for frame-exact parking (`null`: use its clock). */
  readonly frames?: FrameTable | null;
  /** The stream's length in media seconds when probed (else the element's, once known). */
  readonly duration?: number | null;
}

/**
 * `idle`: paused (by the clock, or outside its media); `preparing`: put in place, waiting
 * for the others to be ready; `starting`: asked to play, not playing yet (or seeking, or
 * buffering); `running`: playing; `failed`: the browser refused to play it (left out until
 * the next play).
 */
type Phase = "idle" | "preparing" | "starting" | "running" | "failed";

interface Entry {
  readonly member: MediaMember;
  phase: Phase;
  readonly detach: () => void;
}

/** Keeps the media elements of one sample on its master clock (see the module). */
export class PlaybackSync {
  private readonly entries: Entry[] = [];
  private steering = false;
  /** Where the clock is held while elements prepare, and for how many frames so far. */
  private hold: { at: Fraction; ticks: number } | null = null;

  constructor(
    private readonly clock: MasterClock,
    private readonly timeline: SampleTimeline,
    /** Half a video frame (seconds): followers are kept within half of it. */
    private readonly tolerance: number,
  ) {
    clock.subscribe((event) => this.onClock(event));
  }

  /** Keep `member`'s element on the clock from now on; returns the function that stops it. */
  attach(member: MediaMember): () => void {
    const listeners: [MediaEventName, () => void][] = [
      ["playing", () => this.onPlaying(entry)],
      ["seeked", () => this.onPlaying(entry)],
      ["waiting", () => this.onWaiting(entry)],
      ["seeking", () => this.onWaiting(entry)],
      ["ended", () => this.onEnded(entry)],
    ];
    const entry: Entry = {
      member,
      phase: "idle",
      detach: () => listeners.forEach(([type, listener]) => member.element.removeEventListener(type, listener)),
    };
    listeners.forEach(([type, listener]) => member.element.addEventListener(type, listener));
    this.entries.push(entry);
    if (this.clock.playing) this.start(entry);
    else this.park(entry);
    return () => {
      const at = this.entries.indexOf(entry);
      if (at < 0) return;
      this.entries.splice(at, 1);
      entry.detach();
      entry.member.element.pause();
    };
  }

  /** The stream whose element the clock follows now, `null` when it runs on its own. */
  leader(): string | null {
    const index = this.leaderIndex();
    return index === null ? null : (this.entries[index] as Entry).member.streamId;
  }

  private onClock(event: ClockEvent): void {
    if (this.steering) return;
    switch (event.type) {
      case "play":
        this.startTogether();
        break;
      case "seek":
        if (this.clock.playing) this.startTogether();
        else this.parkAll();
        break;
      case "pause":
      case "ended":
        this.parkAll();
        break;
      case "rate":
        this.entries.forEach((entry) => setRate(entry.member.element, this.clock.rate.toNumber()));
        break;
      case "tick":
        if (this.clock.playing) this.follow();
        break;
      case "duration":
        break;
    }
  }

  /** Put every element where the clock is, to start them all once all are ready. */
  private startTogether(): void {
    this.hold = { at: this.clock.time(), ticks: 0 };
    this.entries.forEach((entry) => this.prepare(entry));
  }

  private parkAll(): void {
    this.hold = null;
    this.entries.forEach((entry) => this.park(entry));
  }

  /** Pause the element where the clock is, to be played with the others (or park it
   * outside its media). */
  private prepare(entry: Entry): void {
    const { element } = entry.member;
    const position = this.position(entry);
    if (!position.inside) {
      this.park(entry);
      return;
    }
    if (!element.paused) element.pause();
    if (Math.abs(element.currentTime - position.seconds) > this.tolerance) element.currentTime = position.seconds;
    setRate(element, this.clock.rate.toNumber());
    entry.phase = "preparing";
  }

  /** Put the element where the clock is and play it now (or park it outside its media). */
  private start(entry: Entry): void {
    const position = this.position(entry);
    if (!position.inside) {
      this.park(entry);
      return;
    }
    const { element } = entry.member;
    if (Math.abs(element.currentTime - position.seconds) > this.tolerance) element.currentTime = position.seconds;
    setRate(element, this.clock.rate.toNumber());
    this.play(entry);
  }

  private play(entry: Entry): void {
    entry.phase = "starting";
    entry.member.element.play().catch((error: unknown) => {
      // a pause or a new source before playback began aborts play(): not a failure
      if (!(error instanceof Error && error.name === "AbortError")) entry.phase = "failed";
    });
  }

  /** Pause the element where the clock stands: a video on the middle of its frame. */
  private park(entry: Entry): void {
    const { element, kind, streamId } = entry.member;
    entry.phase = "idle";
    if (!element.paused) element.pause();
    const duration = this.duration(entry);
    const target =
      kind === "video"
        ? Math.min(
            parkingTime(this.timeline, streamId, this.clock.time(), entry.member.frames ?? null, duration),
            duration ?? Number.POSITIVE_INFINITY,
          )
        : this.position(entry).seconds;
    if (Math.abs(element.currentTime - target) > 1e-6) element.currentTime = target;
  }

  /** One animation frame of playback: the start together, range changes, the leader,
   * the followers. */
  private follow(): void {
    if (this.hold !== null) {
      const preparing = this.entries.filter((entry) => entry.phase === "preparing");
      this.hold.ticks += 1;
      const ready = preparing.every(({ member: { element } }) => element.readyState >= HAVE_CURRENT_DATA && !element.seeking);
      if (!ready && this.hold.ticks <= PREPARE_TICKS) {
        this.steer(this.hold.at);
        return;
      }
      this.hold = null;
      preparing.forEach((entry) => this.play(entry));
    }
    for (const entry of this.entries) {
      const inside = this.position(entry).inside;
      if (!inside && entry.phase !== "idle" && entry.phase !== "failed") this.park(entry);
      else if (inside && entry.phase === "idle") this.start(entry);
    }
    const leaderIndex = this.leaderIndex();
    if (leaderIndex !== null) {
      const { member } = this.entries[leaderIndex] as Entry;
      const heard = this.timeline.sampleTime(member.streamId, member.element.currentTime);
      if (Math.abs(heard.sub(this.clock.time()).toNumber()) > LEADER_TOLERANCE) this.steer(heard);
    }
    const rate = this.clock.rate.toNumber();
    this.entries.forEach((entry, index) => {
      if (index === leaderIndex || entry.phase !== "running") return;
      const { element } = entry.member;
      const position = this.position(entry);
      // corrected down to half the tolerance, so a follower settles well inside it
      const fix = correction(element.currentTime - position.seconds, rate, this.tolerance / 2);
      if (fix.kind === "rate") setRate(element, fix.playbackRate);
      else {
        entry.phase = "starting";
        setRate(element, rate);
        element.currentTime = position.seconds;
      }
    });
  }

  /** Move the clock to `time` without treating it as a seek by the person. */
  private steer(time: Fraction): void {
    if (time.eq(this.clock.time())) return;
    this.steering = true;
    try {
      this.clock.seek(time);
    } finally {
      this.steering = false;
    }
  }

  private leaderIndex(): number | null {
    if (!this.clock.playing) return null;
    return pickLeader(
      this.entries.map((entry) => ({
        kind: entry.member.kind,
        active: entry.phase === "starting" || entry.phase === "running",
      })),
    );
  }

  /** Playing, or a seek of a playing element is done. */
  private onPlaying(entry: Entry): void {
    if (entry.phase === "starting" && this.clock.playing && !entry.member.element.paused) entry.phase = "running";
  }

  private onWaiting(entry: Entry): void {
    if (entry.phase === "running") entry.phase = "starting";
  }

  private onEnded(entry: Entry): void {
    if (entry.phase !== "failed") entry.phase = "idle";
  }

  private position(entry: Entry): MediaPosition {
    return mediaPosition(this.timeline, entry.member.streamId, this.clock.time(), this.duration(entry));
  }

  private duration(entry: Entry): number | null {
    const probed = entry.member.duration;
    if (probed != null && probed > 0) return probed;
    const { duration } = entry.member.element;
    return Number.isFinite(duration) && duration > 0 ? duration : null;
  }
}

function setRate(element: MediaLike, rate: number): void {
  if (Math.abs(element.playbackRate - rate) > RATE_EPSILON * rate) element.playbackRate = rate;
}
