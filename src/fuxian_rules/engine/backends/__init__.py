"""Matching backends and what they execute: the compiled IR, the reference evaluator and durable_rules."""
