"""MongoDB and in-memory adapters of the shared ports (model copies, revoked keys, probe answers)."""
