import type { AttributeDef, OntologyJson } from "../ontology";
import type { SampleParts } from "../relations";

/** [relation type, source id, target id, null or [rule, field, detail]] as the server judged it. */
export type LinkCase = [string, string, string, [string, string, string] | null];

/** What `make_ontology_cases.py` recorded from `rosetta.core`. */
export interface OntologyCases {
  rules: OntologyJson;
  demo: OntologyJson;
  rulesSample: SampleParts;
  demoSample: SampleParts;
  rulesLinks: LinkCase[];
  demoLinks: LinkCase[];
  /** [definition, value, whether the value is fine] */
  attributes: [AttributeDef, unknown, boolean][];
}
