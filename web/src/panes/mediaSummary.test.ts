import { describe, expect, it } from "vitest";

import { mediaSummary } from "./mediaSummary";

describe("mediaSummary", () => {
  it("describes a video by size, exact rate and duration", () => {
    const video = { id: "v", name: "video", modality: "video" as const, media: { width: 320, height: 240, frame_rate: "30000/1001", duration: 9.76 } };
    expect(mediaSummary(video)).toBe("320×240 · 29.970 fps · 9.76 s");
  });

  it("describes audio by duration, rate and channels", () => {
    const audio = { id: "a", name: "audio", modality: "audio" as const, media: { duration: 12.5, sample_rate: 16000, channels: 1 } };
    expect(mediaSummary(audio)).toBe("12.5 s · 16 kHz · mono");
  });

  it("counts an inline text's code points when probing gave no length", () => {
    expect(mediaSummary({ id: "t", name: "caption", modality: "text", text: "🚀 go" })).toBe("4 characters");
  });
});
