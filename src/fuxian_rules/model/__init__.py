"""Value types every layer shares: events in, results out, and the rule-file model (no engine, no I/O)."""
