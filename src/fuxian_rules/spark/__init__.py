"""Province scale on Apache Spark: a DataFrame of events in, DataFrames of obligations and rejections out.

Needs the ``spark`` extra (``pip install 'fuxian-rules[spark]'``: pyspark, pandas, pyarrow) and Java 17.
Three stages, each the same code one process runs:

1. **Validate** every row (``mapInPandas``) with the engine's reader: a bad row becomes a rejection
   naming its line, id and field, exactly as ``check`` names a bad line.
2. **The one ingestion rule** (grouped by id): the versions of each id are offered,
   in input order, to a :class:`fuxian_rules.Ingestion` — first valid version wins, an identical resend
   is a duplicate, a later different version is rejected. *Input order* is the ``line`` column if the
   DataFrame has one, else a ``seq`` column, else ``monotonically_increasing_id()`` over the input as
   given (for one file read by Spark that is the file's order; after a shuffle it is not defined — give
   ``line`` or ``seq`` when resends may conflict).
3. **Evaluate each case once** (grouped by case id) with
   :meth:`fuxian_rules.Engine.evaluate_case`. Each scheduled case (the yearly duties) joins the grouping
   as one placeholder row, so it is evaluated exactly once whatever the partitioning.

The catalogue, policy and calendar files are read on the driver and broadcast once per job; each
executor's Python worker builds its engine once from them (see :mod:`._executor`). Grouping is done by
hash partitioning and a sort within each partition, then ``mapInPandas`` over whole Arrow batches: the
semantics of ``groupBy(...).applyInPandas`` without its pandas DataFrame per group, which costs more
than evaluating a small case.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from fuxian_rules import Engine, RunError, parse_as_of

from ._executor import Bundle, apply_id_rule, evaluate_cases, validate_rows

__all__ = ["OBLIGATIONS_SCHEMA", "REJECTIONS_SCHEMA", "bundle_for", "evaluate"]

#: Columns of the obligations DataFrame: contract §2 fields and explanation, the obligation's index in its
#: case (``orderBy("case_id", "position")`` is the one-process order) and the backend's note, if any.
OBLIGATIONS_SCHEMA = (
    "rule string, case_id string, holder string, holder_name string, modality string, status string, "
    "due string, due_provisional boolean, policy_terms array<string>, basis array<string>, "
    "triggered_by array<string>, closed_by array<string>, title string, explanation string, "
    "position long, note string")
#: Columns of the rejections DataFrame (contract §2 ``rejected``, plus ``seq``: the row's input order).
REJECTIONS_SCHEMA = "line long, seq long, id string, field string, message string, code string"
_VALIDATED = ("seq long, line long, id string, case_id string, digest string, event string, field string, "
              "message string, code string")


def _read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def bundle_for(rules: str | Path | None = None, policy: str | Path | None = None,
               calendars: Sequence[str | Path] = (), backend: str = "auto") -> tuple[Bundle, Engine]:
    """The files executors need, read on the driver, and the driver's engine (checks them first).

    Raises:
        LoadError: a rule, policy or calendar file is invalid (before any Spark job starts).
    """
    engine = Engine(rules, policy=policy, calendars=calendars, backend=backend)
    bundle = Bundle(
        rules=_read_tree(Path(rules)) if rules is not None else None,
        policy=(Path(policy).name, Path(policy).read_bytes()) if policy is not None else None,
        calendars=tuple((Path(c).name, Path(c).read_bytes()) for c in calendars),
        backend=backend,
        catalog_sha256=engine.catalog.sha256,
    )
    return bundle, engine


def _prepared(events_df: DataFrame) -> DataFrame:
    """The contract §1 columns as strings, ``data`` as JSON text, and ``line``/``seq`` for input order."""
    columns = set(events_df.columns)
    missing = {"id", "type", "case_id", "occurred_at"} - columns
    if missing:
        raise RunError(f"the events DataFrame lacks column(s) {', '.join(sorted(missing))}", field="events_df",
                       hint="columns of contract §1: id, type, case_id, occurred_at, actor, data")
    for name in ("id", "type", "case_id", "occurred_at", "actor"):
        if name in columns and not isinstance(events_df.schema[name].dataType, StringType):
            raise RunError(f"column {name} must hold strings (contract §1), not "
                           f"{events_df.schema[name].dataType.simpleString()}", field=name)
    df = events_df
    if "seq" not in columns:
        df = df.withColumn("seq", F.col("line").cast("long") if "line" in columns else F.monotonically_increasing_id())
    if "line" not in columns:
        df = df.withColumn("line", F.lit(None).cast("long"))
    if "actor" not in columns:
        df = df.withColumn("actor", F.lit(None).cast("string"))
    if "data" not in columns:
        df = df.withColumn("data", F.lit(None).cast("string"))
    elif not isinstance(df.schema["data"].dataType, StringType):
        # A struct or map (Parquet, Hive, spark.read.json): its JSON text; null fields are left out, as
        # a caller leaves out an absent field.
        df = df.withColumn("data", F.to_json("data"))
    return df.select(F.col("seq").cast("long"), F.col("line").cast("long"), "id", "type", "case_id",
                     "occurred_at", "actor", "data")


def evaluate(events_df: DataFrame, *, as_of: str | date | datetime, rules: str | Path | None = None,
             policy: str | Path | None = None, calendars: Sequence[str | Path] = (), backend: str = "auto"
             ) -> tuple[DataFrame, DataFrame]:
    """Evaluate a DataFrame of events as :meth:`fuxian_rules.Engine.evaluate` evaluates a list.

    Args:
        events_df: Columns of contract §1: ``id``, ``type``, ``case_id``, ``occurred_at`` (ISO text),
            optional ``actor``, ``data`` (JSON text, or a struct/map), and optionally ``line`` or ``seq``
            (the input order the ingestion rule follows; see the module documentation).
        as_of: An instant, or a date meaning the end of that day (CST).
        rules: A catalogue folder (default: the bundled one); its files are shipped to the executors.
        policy: A deployment policy file.
        calendars: Official holiday schedules for years the calendar package lacks.
        backend: As for :class:`fuxian_rules.Engine`.

    Returns:
        ``(obligations, rejections)``: lazy DataFrames (:data:`OBLIGATIONS_SCHEMA`,
        :data:`REJECTIONS_SCHEMA`); nothing runs until they are written or collected. The validated rows
        are persisted (memory and disk) so that the second output does not validate again; call
        ``spark.catalog.clearCache()`` after writing both if the session goes on to other work.
    """
    at = parse_as_of(as_of)
    bundle, engine = bundle_for(rules, policy, calendars, backend)
    scheduled = engine.scheduled_case_ids(at)
    engine.close()
    spark: SparkSession = events_df.sparkSession
    shipped = spark.sparkContext.broadcast(bundle)

    def stage1(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return validate_rows(shipped.value, frames)

    def stage3(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return evaluate_cases(shipped.value, at, frames)

    prepared = _prepared(events_df)
    parallelism = spark.sparkContext.defaultParallelism
    if prepared.rdd.getNumPartitions() < parallelism:  # one file of a few GB is one partition: use every core
        prepared = prepared.repartition(2 * parallelism)
    # Both outputs start from the validated rows and the id rule: kept (memory, then disk) after the first
    # action computes them, so writing the rejections after the obligations does not validate again.
    validated = prepared.mapInPandas(stage1, _VALIDATED).persist(StorageLevel.MEMORY_AND_DISK)
    bad = validated.where(F.col("digest").isNull())
    # Grouped by id and case id through hash partitioning + a sort within each partition, then one pandas
    # call per Arrow batch (mapInPandas), not one per group (applyInPandas): most ids and many cases have
    # one or a few rows, and a pandas DataFrame per group would cost more than evaluating the case.
    ruled = (validated.where(F.col("digest").isNotNull()).repartition("id").sortWithinPartitions("id", "seq")
             .mapInPandas(apply_id_rule, _VALIDATED).persist(StorageLevel.MEMORY_AND_DISK))
    conflicts = ruled.where(F.col("message").isNotNull())
    rejections = bad.unionByName(conflicts).select("line", "seq", "id", "field", "message", "code")
    accepted = ruled.where(F.col("message").isNull()).select("case_id", "event")
    rows: list[tuple[str, str | None]] = [(c, None) for c in scheduled]
    placeholders = spark.createDataFrame(rows, "case_id string, event string")
    obligations = (accepted.unionByName(placeholders).repartition("case_id").sortWithinPartitions("case_id")
                   .mapInPandas(stage3, OBLIGATIONS_SCHEMA))
    return obligations, rejections
