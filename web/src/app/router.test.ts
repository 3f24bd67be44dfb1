import { describe, expect, it } from "vitest";

import { loginPath, parseRoute, projectPath, qualityPath, reviewPath, safeNext, samplePath, taskPath } from "./router";

describe("parseRoute", () => {
  it("names each page of the workspace", () => {
    expect(parseRoute("/app", "")).toEqual({ name: "projects" });
    expect(parseRoute("/app/", "")).toEqual({ name: "projects" });
    expect(parseRoute("/app/login", "?next=%2Fapp%2Fp%2Fdemo")).toEqual({ name: "login", next: "/app/p/demo" });
    expect(parseRoute("/app/s/portrait", "?project=rosetta-demo")).toEqual({
      name: "sample",
      sample: "portrait",
      project: "rosetta-demo",
      select: undefined,
    });
    expect(parseRoute("/app/s/portrait", "?select=a-box")).toMatchObject({ project: undefined, select: "a-box" });
    expect(parseRoute("/app/p/rosetta-demo/review", "")).toEqual({ name: "review", project: "rosetta-demo" });
    const samples = parseRoute("/app/p/rosetta-demo", "?status=new");
    expect(samples.name === "samples" && [samples.project, samples.query.get("status")]).toEqual([
      "rosetta-demo",
      "new",
    ]);
  });

  it("decodes ids that paths escape", () => {
    expect(parseRoute("/app/s/a%2Fb%20c", "")).toMatchObject({ name: "sample", sample: "a/b c" });
  });

  it("answers not-found for other paths and malformed escapes", () => {
    for (const path of ["/", "/application", "/app/x/1", "/app/s", "/app/s/a/b", "/app/s/%E0%A4%A", "/app/p/x/y", "/app/s/x/review"]) {
      expect(parseRoute(path, "")).toEqual({ name: "not-found", path });
    }
  });
});

describe("safeNext", () => {
  it("keeps paths of the workspace", () => {
    expect(safeNext("/app/p/demo?status=new")).toBe("/app/p/demo?status=new");
    expect(safeNext("/app")).toBe("/app");
  });

  it("refuses other sites and other paths", () => {
    for (const next of [null, "", "https://evil.example/app", "//evil.example/app", "/apple", "/app\\..\\x", "javascript:alert(1)"]) {
      expect(safeNext(next)).toBe("/app");
    }
  });
});

describe("paths", () => {
  it("round-trip through parseRoute", () => {
    const sample = new URL(samplePath("a/b", "demo project"), "http://host");
    expect(parseRoute(sample.pathname, sample.search)).toEqual({
      name: "sample",
      sample: "a/b",
      project: "demo project",
      select: undefined,
    });
    const selected = new URL(samplePath("s&1", undefined, "a b&c"), "http://host");
    expect(parseRoute(selected.pathname, selected.search)).toMatchObject({ sample: "s&1", select: "a b&c" });
    const review = new URL(reviewPath("p/1 x"), "http://host");
    expect(parseRoute(review.pathname, review.search)).toEqual({ name: "review", project: "p/1 x" });
    const quality = new URL(qualityPath("p/1 x"), "http://host");
    expect(parseRoute(quality.pathname, quality.search)).toEqual({ name: "quality", project: "p/1 x" });
    const list = new URL(projectPath("p 1", new URLSearchParams({ stale: "true" })), "http://host");
    const route = parseRoute(list.pathname, list.search);
    expect(route.name === "samples" && [route.project, route.query.get("stale")]).toEqual(["p 1", "true"]);
  });

  it("opens a task's sample with the task named", () => {
    const task = new URL(taskPath({ id: "t 1", sample: "a/b" }, "demo"), "http://host");
    expect(parseRoute(task.pathname, task.search)).toMatchObject({ sample: "a/b", project: "demo", task: "t 1" });
    expect(taskPath({ id: "t1", sample: "s" })).toBe("/app/s/s?task=t1");
    expect(parseRoute("/app/s/s", "")).toMatchObject({ task: undefined });
  });

  it("login comes back where it was sent from", () => {
    expect(loginPath("/app/s/x?project=p")).toBe("/app/login?next=%2Fapp%2Fs%2Fx%3Fproject%3Dp");
    expect(loginPath("/app")).toBe("/app/login");
    expect(loginPath("https://evil.example")).toBe("/app/login");
  });
});
