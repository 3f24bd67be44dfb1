import type { Sample } from "../objects";

/**
 * A sample as `GET /api/samples/{id}` sends it: a caption, a photo and a recording, a
 * span and a box of one astronaut (an entity), the words said, and links between them,
 * two of them confirmed.
 */
export function sample(): Sample {
  return {
    id: "s1",
    external_id: "demo-1",
    status: "in_progress",
    metadata: {},
    ego_poses: [],
    streams: [
      {
        id: "caption",
        name: "caption",
        modality: "text",
        text: "An astronaut waves.",
        media: { length: 19 },
      },
      { id: "photo", name: "photo", modality: "image", media: { width: 640, height: 480 } },
      { id: "mic", name: "mic", modality: "audio", media: { duration: 9.76, sample_rate: 16000 } },
    ],
    annotations: [
      {
        id: "a-span",
        stream: "caption",
        label: "person",
        geometry: { type: "span", start: 3, end: 12 },
        attributes: {},
        revision: 2,
        ontology_version: 1,
        author: "ada",
        source: { kind: "human" },
        flags: [],
      },
      {
        id: "a-box",
        stream: "photo",
        label: "person",
        geometry: { type: "box", x: 10, y: 20, w: 100, h: 200 },
        attributes: { role: "astronaut" },
        revision: 1,
        ontology_version: 1,
        author: "ada",
        source: { kind: "human" },
        flags: [],
      },
      {
        id: "a-words",
        stream: "mic",
        label: "speech",
        geometry: { type: "interval", start: 1, end: 2.5 },
        attributes: {},
        revision: 1,
        ontology_version: 1,
        author: "grace",
        source: { kind: "human" },
        flags: [],
      },
    ],
    entities: [
      {
        id: "e-astronaut",
        label: "person",
        members: ["a-span", "a-box"],
        revision: 1,
        author: "ada",
      },
    ],
    links: [
      {
        id: "l-refers",
        type: "refers-to",
        source: "a-span",
        target: "a-box",
        status: "confirmed",
        attributes: {},
        revision: 2,
        source_revision: 2,
        target_revision: 1,
        author: "ada",
      },
      {
        id: "l-speaker",
        type: "speaker-of",
        source: "e-astronaut",
        target: "a-words",
        status: "confirmed",
        attributes: {},
        revision: 2,
        source_revision: 1,
        target_revision: 1,
        author: "grace",
      },
      {
        id: "l-same",
        type: "same-as",
        source: "a-box",
        target: "e-astronaut",
        status: "proposed",
        attributes: {},
        revision: 1,
        source_revision: null,
        target_revision: null,
        author: "ada",
      },
    ],
  };
}
