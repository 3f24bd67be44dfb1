/**
 * The key frames of a video's tracks: a strip under the video (a compact lane per track,
 * the selected ones taller, with the frames where the object is in view, its key frames
 * and the frame shown; a click on a key frame goes there), the buttons for the selected
 * track, and their keys (`editing/keymap`: N, Shift+N, O, [ and ]). Edits act on the frame
 * the pane shows, on a paused video; going to a key frame pauses.
 */
import { memo, useCallback, type MouseEvent } from "react";

import type { MasterClock } from "../clock/master";
import type { CommandContext } from "../editing/commands";
import { useCommandContext } from "../editing/EditingProvider";
import { adjacentKeyFrame, editKeyFrames, keyFrames, selectedTracks, type KeyFrameEdit } from "../editing/keyframes";
import { KEYMAP, keyName, type Action } from "../editing/keymap";
import { useActionKey } from "../editing/useEditingKeys";
import { inView } from "../player/tracks";
import { labelColour } from "../ui/colour";
import type { Annotation } from "../work/objects";
import { useFocus, useWorkspace } from "../workspace/Workspace";

/** The key-frame actions of the keymap. */
type KeyframeAction = Extract<Action, "keyframe-add" | "keyframe-delete" | "outside" | "keyframe-previous" | "keyframe-next">;

/** What each key-frame action does: an edit, or going to the key frame before or after. */
const ACTIONS: Readonly<Record<KeyframeAction, KeyFrameEdit | -1 | 1>> = {
  "keyframe-add": "add",
  "keyframe-delete": "delete",
  outside: "outside",
  "keyframe-previous": -1,
  "keyframe-next": 1,
};

const KEYFRAME_ACTIONS = Object.keys(ACTIONS) as KeyframeAction[];

const isKeyframeAction = (name: Action | null): name is KeyframeAction => name !== null && name in ACTIONS;

/** The buttons: the action, its text and what it does. */
const BUTTONS: readonly (readonly [KeyframeAction, string, string])[] = [
  ["keyframe-previous", "◀ Key", "Previous key frame"],
  ["keyframe-add", "+ Key", "Make this frame a key frame"],
  ["keyframe-delete", "− Key", "Delete the key frame on this frame"],
  ["outside", "Outside", "The object leaves view here, or comes back"],
  ["keyframe-next", "Key ▶", "Next key frame"],
];

/** Carry out key-frame action `action` for the selected tracks of `streamId` on `frame`
 * (going to a key frame: `seek`; an edit while `clock` plays pauses it instead); whether a
 * selected track was there to act on. */
function act(
  context: CommandContext,
  streamId: string,
  frame: number,
  action: KeyFrameEdit | -1 | 1,
  seek: (frame: number) => void,
  clock: MasterClock,
): boolean {
  if (selectedTracks(context, streamId).length === 0) return false;
  const notify = context.editor.getState().notify;
  if (typeof action === "number") {
    const target = adjacentKeyFrame(context, streamId, frame, action);
    if (target === null) notify({ tone: "info", text: `no key frame ${action < 0 ? "before" : "after"} frame ${frame}` });
    else seek(target);
  } else if (clock.playing) {
    clock.pause();
    notify({ tone: "info", text: "paused: key frames are edited on the frame shown, press again to edit this one" });
  } else {
    editKeyFrames(context, streamId, frame, action);
  }
  return true;
}

/** The key-frame keys for video `streamId`, acting on `frame`, the frame it shows (through
 * the workspace's one key handler, `useActionKey`). */
export function useKeyframeKeys(streamId: string, frame: number | null, seek: (frame: number) => void): void {
  const context = useCommandContext();
  const { clock } = useWorkspace();
  useActionKey(KEYFRAME_ACTIONS, (name) => {
    if (!isKeyframeAction(name) || frame === null) return false;
    return act(context, streamId, frame, ACTIONS[name], seek, clock);
  });
}

/** The buttons of the key-frame actions, shown while one of `tracks` (on `streamId`) is selected. */
export function KeyframeButtons({
  streamId,
  tracks,
  frame,
  seek,
}: {
  streamId: string;
  tracks: readonly Annotation[];
  frame: number | null;
  seek: (frame: number) => void;
}) {
  const context = useCommandContext();
  const { clock } = useWorkspace();
  const selected = useFocus((state) => state.selected);
  if (frame === null || !tracks.some((track) => selected.includes(track.id))) return null;
  return (
    <span className="tool-group keyframe-buttons" role="group" aria-label="Key frames">
      {BUTTONS.map(([name, text, title]) => {
        const key = keyName(KEYMAP.find((entry) => entry.action === name)?.keys[0] ?? { key: "?" });
        return (
          <button
            key={name}
            type="button"
            className="tool"
            title={`${title} (${key})`}
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => act(context, streamId, frame, ACTIONS[name], seek, clock)}
          >
            {text} <kbd>{key}</kbd>
          </button>
        );
      })}
    </span>
  );
}

/** The strip of key frames of `tracks` (video frames `0..count - 1`), `frame` marked. */
export function KeyframeStrip({
  tracks,
  frame,
  count,
  seek,
}: {
  tracks: readonly Annotation[];
  frame: number | null;
  count: number;
  seek: (frame: number) => void;
}) {
  const selected = useFocus((state) => state.selected);
  const select = useFocus((state) => state.select);
  // one function for every render, so the lanes (memo) redraw only when their track changes
  const go = useCallback(
    (id: string, target: number): void => {
      select([id]);
      seek(target);
    },
    [select, seek],
  );
  if (tracks.length === 0 || count <= 0) return null;
  return (
    <div className="keyframe-strip" role="group" aria-label="Key frames of the tracks">
      {tracks.map((track) => (
        <Lane key={track.id} track={track} count={count} selected={selected.includes(track.id)} go={go} />
      ))}
      {frame !== null && <span className="now" style={{ left: `calc(var(--lane-start) + ${at(frame + 0.5, count)})` }} />}
    </div>
  );
}

/** `frame` as a share of the lane's width. */
function at(frame: number, count: number): string {
  return `(100% - var(--lane-start)) * ${frame / count}`;
}

/** One track's lane: its label, the frames it is in view, its key frames. */
const Lane = memo(function Lane({
  track,
  count,
  selected,
  go,
}: {
  track: Annotation;
  count: number;
  selected: boolean;
  go: (id: string, frame: number) => void;
}) {
  if (track.geometry.type !== "track") return null;
  const colour = labelColour(track.label);
  const keys = keyFrames(track.geometry);
  const runs = inView(track.geometry, count - 1);
  const scrub = (event: MouseEvent<HTMLDivElement>): void => {
    const box = event.currentTarget.getBoundingClientRect();
    go(track.id, Math.min(count - 1, Math.max(0, Math.floor(((event.clientX - box.left) / box.width) * count))));
  };
  return (
    <div className="keyframe-lane" data-track={track.id} data-selected={selected || undefined}>
      <span className="lane-label" title={track.id}>
        {track.label}
      </span>
      <div className="lane" onClick={scrub}>
        {runs.map(([first, last]) => (
          <span
            key={first}
            className="in-view"
            style={{ left: `${(first / count) * 100}%`, width: `${((last + 1 - first) / count) * 100}%`, background: colour }}
          />
        ))}
        {keys.map((key) => (
          <button
            key={key.frame}
            type="button"
            className={key.outside ? "key outside" : "key"}
            data-frame={key.frame}
            aria-label={`${track.label} key frame ${key.frame}${key.outside ? " (outside)" : ""}`}
            title={`key frame ${key.frame}${key.outside ? ": leaves view" : ""}`}
            style={{ left: `${((key.frame + 0.5) / count) * 100}%`, borderColor: colour }}
            onMouseDown={(event) => event.preventDefault()}
            onClick={(event) => {
              event.stopPropagation();
              go(track.id, key.frame);
            }}
          />
        ))}
      </div>
    </div>
  );
});
