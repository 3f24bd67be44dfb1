"""Pure domain: schema, geometry, ontology rules and validation. No I/O, no imports of other layers."""
