import { describe, expect, it } from "vitest";

import { projectOfLink } from "./sample";

describe("projectOfLink", () => {
  it("reads the project of the sample's answer", () => {
    expect(projectOfLink('</api/projects/p-1>; rel="project"')).toBe("p-1");
    expect(projectOfLink("</api/projects/caf%C3%A9>; rel=project")).toBe("café");
  });

  it("finds the project's entry among others", () => {
    expect(projectOfLink('</api/samples/s2>; rel="next", </api/projects/demo>; rel="project"; title="Demo"')).toBe(
      "demo",
    );
  });

  it("takes nothing else for it", () => {
    expect(projectOfLink(null)).toBeNull();
    expect(projectOfLink('</api/projects/demo>; rel="projects"')).toBeNull();
    expect(projectOfLink('</api/samples/demo>; rel="project"')).toBeNull();
    expect(projectOfLink('</api/projects/a/b>; rel="project"')).toBeNull();
  });
});
