"""The rule catalogue: rule files, vocabulary, units, policy, the notice index, coverage and the JSON Schema."""
