import { describe, expect, it } from "vitest";

import { workOf } from "../work/objects";
import { sample } from "../work/testdata/sample";
import { annotationName, objectName } from "./describe";

const read = sample();
const work = workOf(read);
const streams = new Map((read.streams ?? []).map((s) => [s.id, { name: s.name, text: s.text ?? null }]));

describe("names", () => {
  it("say what and where an annotation is, quoting a span's text", () => {
    const [span, box] = work.annotations;
    expect(span && annotationName(span, streams)).toBe("person span “astronaut” on caption");
    expect(box && annotationName(box, streams)).toBe("person box on photo");
  });

  it("name entities and links by their parts", () => {
    expect(objectName("e-astronaut", work, streams)).toBe("entity person of 2 annotations");
    expect(objectName("l-refers", work, streams)).toBe(
      "refers-to: person span “astronaut” on caption → person box on photo",
    );
    expect(objectName("gone", work, streams)).toBe("gone");
  });

  it("counts span offsets in code points", () => {
    const emoji = new Map([["t", { name: "t", text: "🚀 Apollo 11" }]]);
    const span = {
      id: "s",
      stream: "t",
      label: "craft",
      geometry: { type: "span" as const, start: 2, end: 8 },
      revision: 1,
    };
    expect(annotationName(span, emoji)).toBe("craft span “Apollo” on t");
  });
});
