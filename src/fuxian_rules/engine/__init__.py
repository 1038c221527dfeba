"""The engine: ingestion, per-case evaluation, instances, due dates, statuses and explanations."""
