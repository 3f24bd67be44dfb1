"""Use cases: projects, editing with history, ontology migrations, import and export."""
