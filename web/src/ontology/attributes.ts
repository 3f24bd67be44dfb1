/**
 * A class's attributes as typed inputs for the attribute editor, and the checks the
 * server makes of their values (`AttributeDef.problem`, `validation.check_attributes`),
 * so a form can say what is wrong before anything is sent.
 *
 * Text patterns are Python regular expressions matched whole; the common subset (and
 * `(?P<name>...)` groups) is checked here, and a pattern JavaScript cannot compile is
 * left to the server.
 */
import type { AttributeDef, OntologyIndex } from "./ontology";

interface InputBase {
  readonly name: string;
  readonly required: boolean;
}

/** One attribute as a form input, by its value type. */
export type AttributeInput =
  | (InputBase & { readonly type: "enum"; readonly options: readonly string[] })
  | (InputBase & { readonly type: "bool" })
  | (InputBase & {
      readonly type: "number";
      readonly min: number | null;
      readonly max: number | null;
    })
  | (InputBase & {
      readonly type: "text";
      readonly maxLength: number | null;
      readonly pattern: string | null;
    });

/** What is wrong with a value: the rule and field the server would name, and why. */
export interface AttributeProblem {
  readonly rule: "attribute-known" | "attribute-value" | "attribute-required";
  readonly field: string;
  readonly detail: string;
}

/** The attribute definition `definition` as a typed form input. */
export function attributeInput(definition: AttributeDef): AttributeInput {
  const base = { name: definition.name, required: definition.required ?? false };
  switch (definition.type) {
    case "enum":
      return { ...base, type: "enum", options: definition.values ?? [] };
    case "bool":
      return { ...base, type: "bool" };
    case "number":
      return { ...base, type: "number", min: definition.min ?? null, max: definition.max ?? null };
    case "text":
      return {
        ...base,
        type: "text",
        maxLength: definition.max_length ?? null,
        pattern: definition.pattern ?? null,
      };
  }
}

/** The inputs of every attribute of class `className` (its own first, then inherited). */
export function attributeInputs(ontology: OntologyIndex, className: string): AttributeInput[] {
  return [...ontology.attributesOf(className).values()].map(attributeInput);
}

const patterns = new Map<string, RegExp | null>();

/** `pattern` as a whole-string JavaScript expression, `null` when it cannot be one. */
function wholeMatch(pattern: string): RegExp | null {
  let compiled = patterns.get(pattern);
  if (compiled === undefined) {
    // Python's named groups and back-references in JavaScript's spelling
    const translated = pattern.replaceAll("(?P<", "(?<").replace(/\(\?P=(\w+)\)/g, "\\k<$1>");
    const source = `^(?:${translated})$`;
    compiled = null;
    for (const flags of ["u", ""]) {
      try {
        compiled = new RegExp(source, flags);
        break;
      } catch {
        // not valid in this mode: try the next, else leave the pattern to the server
      }
    }
    patterns.set(pattern, compiled);
  }
  return compiled;
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

/** What is wrong with `value` for `definition`, or `null` when it is fine. */
export function attributeProblem(definition: AttributeDef, value: unknown): string | null {
  switch (definition.type) {
    case "enum": {
      const values = definition.values ?? [];
      return typeof value === "string" && values.includes(value)
        ? null
        : `expected one of ${show(values)}, got ${show(value)}`;
    }
    case "bool":
      return typeof value === "boolean" ? null : `expected true or false, got ${show(value)}`;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        return `expected a number, got ${show(value)}`;
      }
      if (definition.min != null && value < definition.min) {
        return `expected at least ${definition.min}, got ${value}`;
      }
      if (definition.max != null && value > definition.max) {
        return `expected at most ${definition.max}, got ${value}`;
      }
      return null;
    case "text": {
      if (typeof value !== "string") {
        return `expected text, got ${show(value)}`;
      }
      const length = [...value].length; // code points, as the server counts
      if (definition.max_length != null && length > definition.max_length) {
        return `expected at most ${definition.max_length} characters, got ${length}`;
      }
      const pattern = definition.pattern;
      if (pattern != null && wholeMatch(pattern)?.test(value) === false) {
        return `expected text matching ${show(pattern)}, got ${show(value)}`;
      }
      return null;
    }
  }
}

/**
 * The first problem of attribute `values` against `definitions` of class `owner`, in the
 * server's order: unknown names and bad values (in the values' order), then missing
 * required ones; `null` when there is none.
 */
export function checkAttributes(
  values: Readonly<Record<string, unknown>>,
  definitions: ReadonlyMap<string, AttributeDef>,
  owner: string,
): AttributeProblem | null {
  for (const [name, value] of Object.entries(values)) {
    const definition = definitions.get(name);
    const field = `attributes.${name}`;
    if (definition === undefined) {
      return {
        rule: "attribute-known",
        field,
        detail: `${show(owner)} has no attribute ${show(name)}`,
      };
    }
    const problem = attributeProblem(definition, value);
    if (problem !== null) {
      return { rule: "attribute-value", field, detail: problem };
    }
  }
  for (const [name, definition] of definitions) {
    if (definition.required && !Object.hasOwn(values, name)) {
      return {
        rule: "attribute-required",
        field: `attributes.${name}`,
        detail: `${show(owner)} requires ${show(name)}`,
      };
    }
  }
  return null;
}
