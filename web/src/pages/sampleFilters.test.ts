import { describe, expect, it } from "vitest";

import { filtersKey, parseFilters, withFilter } from "./sampleFilters";

describe("parseFilters", () => {
  it("reads every filter the API takes, typed", () => {
    const query = new URLSearchParams("status=review&label=person&modality=image&annotator=ada&stale=true&other=x");
    expect(parseFilters(query)).toEqual({
      filters: { status: "review", label: "person", modality: "image", annotator: "ada", stale: true },
      problems: [],
    });
    expect(parseFilters(new URLSearchParams("stale=false")).filters).toEqual({ stale: false });
  });

  it("names each value the API would refuse and leaves that filter out", () => {
    const { filters, problems } = parseFilters(new URLSearchParams("status=finished&modality=smell&stale=maybe&label=car"));
    expect(filters).toEqual({ label: "car" });
    expect(problems).toEqual([
      "status 'finished' is not one of new, in_progress, review, done",
      "modality 'smell' is not one of text, image, audio, video, pointcloud, timeseries",
      "stale 'maybe' is not true or false",
    ]);
  });

  it("ignores empty values", () => {
    expect(parseFilters(new URLSearchParams("label=%20&status=")).filters).toEqual({});
  });
});

describe("withFilter", () => {
  it("sets and clears one filter, keeping the others", () => {
    const query = new URLSearchParams("status=new&label=car");
    expect(withFilter(query, "label", " person ").toString()).toBe("status=new&label=person");
    expect(withFilter(query, "status", "").toString()).toBe("label=car");
    expect(query.toString()).toBe("status=new&label=car");
  });
});

describe("filtersKey", () => {
  it("differs when a filter differs and not otherwise", () => {
    expect(filtersKey({ stale: true })).not.toBe(filtersKey({ stale: false }));
    expect(filtersKey({ label: "a", status: "new" })).toBe(filtersKey({ status: "new", label: "a" }));
  });
});
