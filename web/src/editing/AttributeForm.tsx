import { attributeInputs, checkAttributes, type AttributeInput } from "../ontology/attributes";
import type { OntologyIndex } from "../ontology/ontology";
import type { Annotation } from "../work/objects";
import { attempt } from "./commands";
import { useCommandContext } from "./EditingProvider";

/** The attributes of an annotation's class as typed inputs (choices, yes/no, numbers in
 * range, text), each change an edit of the annotation, with what the server would refuse. */
export function AttributeForm({ annotation, ontology }: { annotation: Annotation; ontology: OntologyIndex }) {
  const context = useCommandContext();
  const inputs = attributeInputs(ontology, annotation.label);
  const values = annotation.attributes ?? {};
  const problem = checkAttributes(values, ontology.attributesOf(annotation.label), annotation.label);
  if (inputs.length === 0 && Object.keys(values).length === 0)
    return <p className="muted">No attributes for {annotation.label}.</p>;

  const set = (name: string, value: unknown): void => {
    const next: Record<string, unknown> = { ...values };
    if (value === undefined) delete next[name];
    else next[name] = value;
    attempt(context, () =>
      context.work
        .getState()
        .updateAnnotation(annotation.id, { attributes: next }, { coalesce: `attribute ${annotation.id} ${name}` }),
    );
  };

  return (
    <div className="attributes">
      {inputs.map((input) => (
        <label key={input.name}>
          <span>
            {input.name}
            {input.required && <span aria-label="required"> *</span>}
          </span>
          <Field input={input} value={values[input.name]} onChange={(value) => set(input.name, value)} />
        </label>
      ))}
      {problem !== null && (
        <p className="error" role="alert">
          {problem.field}: {problem.detail}
        </p>
      )}
    </div>
  );
}

function Field({
  input,
  value,
  onChange,
}: {
  input: AttributeInput;
  value: unknown;
  onChange: (value: unknown) => void;
}) {
  switch (input.type) {
    case "enum":
      return (
        <select
          value={typeof value === "string" ? value : ""}
          onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value)}
        >
          <option value="">—</option>
          {input.options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      );
    case "bool":
      return (
        <select
          value={value === true ? "yes" : value === false ? "no" : ""}
          onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value === "yes")}
        >
          <option value="">—</option>
          <option value="yes">yes</option>
          <option value="no">no</option>
        </select>
      );
    case "number":
      return (
        <input
          type="number"
          step="any"
          min={input.min ?? undefined}
          max={input.max ?? undefined}
          value={typeof value === "number" ? value : ""}
          onChange={(event) => onChange(event.target.value === "" ? undefined : Number(event.target.value))}
        />
      );
    case "text":
      return (
        <input
          type="text"
          value={typeof value === "string" ? value : ""}
          onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value)}
        />
      );
  }
}
