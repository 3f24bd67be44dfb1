// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { createElement, Fragment, useEffect, type ComponentType } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { OntologyIndex } from "../ontology/ontology";
import { CASES } from "../ontology/testdata/ontologyCases";
import type { Sample } from "../work/objects";
import { sample } from "../work/testdata/sample";
import { WorkspaceProvider, useWorkspace, type Workspace } from "../workspace/Workspace";
import { EditingProvider, useEditing, type Editing } from "./EditingProvider";
import { Inspector } from "./Inspector";
import { ProposalTool } from "./ProposalTool";
import type { ProposerInfo } from "./proposals";
import { candidate } from "./testdata/modelServer";

/** The installed proposers. */
const INSTALLED: ProposerInfo[] = [
  {
    name: "grabcut",
    description: "OpenCV GrabCut",
    modalities: ["image"],
    geometries: ["mask"],
    prompts: ["box", "points"],
    prompt_required: true,
    parameters: {},
    unavailable: null,
  },
  {
    name: "sam",
    description: "Segment Anything",
    modalities: ["image"],
    geometries: ["mask"],
    prompts: ["box", "points"],
    prompt_required: true,
    parameters: {},
    unavailable: "no model configured for sam",
  },
];

// the reviewer reads the sample's review when the workspace opens: no server here
vi.hoisted(() => {
  globalThis.fetch = async () =>
    new Response(JSON.stringify({ error: { type: "not_found", message: "no server in tests" } }), {
      status: 404,
      headers: { "content-type": "application/json" },
    });
});

const demo = new OntologyIndex(CASES.demo);
const withCandidate = (): Sample => ({ ...sample(), annotations: [...(sample().annotations ?? []), candidate()] });

function Driver({ run }: { run: (workspace: Workspace, editing: Editing) => void }) {
  const workspace = useWorkspace();
  const editing = useEditing();
  useEffect(() => run(workspace, editing), [workspace, editing, run]);
  return null;
}

/** `part` in the workspace of the sample with a candidate, after `run`. */
function open(part: ComponentType, run: (workspace: Workspace, editing: Editing) => void, canReview = false) {
  const inside = createElement(Fragment, null, createElement(Driver, { run }), createElement(part));
  const editing = createElement(EditingProvider, { ontology: demo, canReview, children: inside });
  return render(createElement(WorkspaceProvider, { sample: withCandidate(), etag: '"1"', children: editing }));
}

afterEach(cleanup);

describe("the Model tool's bar", () => {
  it("offers the models that can run, one that cannot disabled with its reason, and the classes", async () => {
    open(ProposalTool, (_, editing) => {
      editing.proposals.state.setState({ proposers: INSTALLED }); // as GET /api/proposers lists them
      editing.editor.getState().setTool("model");
    });
    const bar = screen.getByRole("group", { name: "Model tool" });
    const model = within(bar).getByLabelText("Model") as HTMLSelectElement;
    await vi.waitFor(() => expect(model.value).toBe("grabcut"));
    const sam = within(model).getByRole("option", { name: "sam (unavailable)" }) as HTMLOptionElement;
    expect(sam.disabled).toBe(true);
    expect(sam.title).toBe("no model configured for sam");
    const classes = within(within(bar).getByLabelText("Class")).getAllByRole("option");
    expect(classes.map((o) => o.textContent)).toContain("object");
    expect(classes.map((o) => o.textContent)).not.toContain("speech");
    expect(within(bar).getByText("1 unavailable").title).toBe("sam: no model configured for sam");
  });
});

describe("a candidate in the inspector", () => {
  it("shows its provenance and the decision's buttons, and the history to reviewers only", async () => {
    open(Inspector, (workspace) => workspace.focus.getState().select(["c-patch"]));
    const provenance = screen.getByRole("group", { name: "Model provenance" });
    expect(provenance.textContent).toContain("grabcut opencv 4.14.0 · confidence 92%");
    expect(provenance.textContent).toContain("Promptbox 40×50 at 45,55");
    expect(provenance.textContent).toContain("Parametersiterations 5");
    expect(within(provenance).getByRole("button", { name: /^Accept/ })).toBeTruthy();
    expect(within(provenance).getByRole("button", { name: /^Reject/ })).toBeTruthy();
    expect(screen.queryByText("History")).toBeNull();
    cleanup();

    let workspace: Workspace | null = null;
    open(
      Inspector,
      (w) => {
        workspace = w;
        w.focus.getState().select(["c-patch"]);
      },
      true,
    );
    const history = screen.getByText("History");
    fireEvent.click(history);
    expect(await screen.findByText(/^Could not load the history/)).toBeTruthy();
    act(() => workspace?.focus.getState().select(["a-box"]));
    expect(screen.queryByRole("group", { name: "Model provenance" })).toBeNull();
  });
});
