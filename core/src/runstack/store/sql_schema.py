"""The store's schema, as the list of migrations that build it, on SQLite and PostgreSQL.

Migration N brings a store from schema version N to N+1 (SQLite keeps the version in
`PRAGMA user_version`, PostgreSQL in the table `runstack_schema`); a new store runs
them all. Never edit a released migration: append a new one. Write them portably:
TEXT, INTEGER and REAL columns, which PostgreSQL reads as byte-ordered text, 64-bit
integers and doubles, as SQLite stores them (`postgres_db.portable`).
"""

from __future__ import annotations

from runstack.errors import StoreError

MIGRATIONS: list[str] = [
    # 1: components and stacks
    """
    CREATE TABLE components (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        flavor TEXT NOT NULL,
        config TEXT NOT NULL,
        secrets TEXT NOT NULL,
        owner TEXT NOT NULL,
        shared INTEGER NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        UNIQUE (type, name)
    );
    CREATE TABLE stacks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        shared INTEGER NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE stack_components (
        stack_id TEXT NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        component_id TEXT NOT NULL REFERENCES components (id) ON DELETE RESTRICT,
        PRIMARY KEY (stack_id, type)
    );
    CREATE INDEX stack_components_by_component ON stack_components (component_id);
    """,
    # 2: pipelines, runs, step runs, artifacts and their lineage
    """
    CREATE TABLE pipelines (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        pipeline_id TEXT NOT NULL REFERENCES pipelines (id),
        status TEXT NOT NULL,
        stack_id TEXT NOT NULL,
        stack_name TEXT NOT NULL,
        artifact_store_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        config TEXT NOT NULL,
        parameters TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        error TEXT NOT NULL
    );
    CREATE INDEX runs_by_started ON runs (started);
    CREATE INDEX runs_by_pipeline ON runs (pipeline_id, started);
    CREATE TABLE step_runs (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        pipeline_name TEXT NOT NULL,
        artifact_store_id TEXT NOT NULL,
        invocation TEXT NOT NULL,
        step_name TEXT NOT NULL,
        position INTEGER NOT NULL,
        status TEXT NOT NULL,
        started TEXT,
        finished TEXT,
        cache_key TEXT NOT NULL,
        cache_parts TEXT NOT NULL,
        parameters TEXT NOT NULL,
        reason TEXT NOT NULL,
        cached_from TEXT,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        logs TEXT NOT NULL,
        UNIQUE (run_id, invocation)
    );
    CREATE INDEX step_runs_by_cache_key ON step_runs (cache_key, artifact_store_id);
    CREATE INDEX step_runs_by_invocation
        ON step_runs (pipeline_name, invocation, artifact_store_id);
    CREATE TABLE artifacts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        uri TEXT NOT NULL,
        type_name TEXT NOT NULL,
        materializer TEXT NOT NULL,
        size INTEGER NOT NULL,
        artifact_store_id TEXT NOT NULL,
        producer_step_run_id TEXT NOT NULL,
        created TEXT NOT NULL,
        UNIQUE (name, version)
    );
    CREATE TABLE step_run_artifacts (
        step_run_id TEXT NOT NULL REFERENCES step_runs (id) ON DELETE CASCADE,
        direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
        name TEXT NOT NULL,
        artifact_id TEXT NOT NULL REFERENCES artifacts (id),
        PRIMARY KEY (step_run_id, direction, name)
    );
    CREATE INDEX step_run_artifacts_by_artifact ON step_run_artifacts (artifact_id);
    """,
    # 3: the process that runs a run, so a reader can mark a run whose process died as
    # crashed; the index lets it find the running runs without scanning every run
    """
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN host TEXT NOT NULL DEFAULT '';
    CREATE INDEX runs_by_status ON runs (status);
    """,
    # 4: a running run's heartbeat, so a run whose process stopped reporting reads as
    # crashed whatever machine or pid namespace it ran in; and which process exactly
    # (pid namespace and start time), so a reused pid cannot pass for the run's process
    """
    ALTER TABLE runs ADD COLUMN heartbeat TEXT;
    ALTER TABLE runs ADD COLUMN process_identity TEXT NOT NULL DEFAULT '';
    """,
    # 5: the files each artifact was written as (JSON: name -> size; NULL for older ones), so a
    # cached output is checked before reuse, and why an artifact may no longer be reused
    """
    ALTER TABLE artifacts ADD COLUMN files TEXT;
    ALTER TABLE artifacts ADD COLUMN damaged TEXT NOT NULL DEFAULT '';
    """,
    # 6: how long a run may stay silent (seconds), from the interval it beats at: a reader
    # whose own RUNSTACK_HEARTBEAT_SECONDS is shorter must not take it for crashed
    """
    ALTER TABLE runs ADD COLUMN heartbeat_limit REAL;
    """,
    # 7: the version of the plugin whose flavor model last validated each component's config
    # ('' when unknown), so a run builds the component without validating it again
    """
    ALTER TABLE components ADD COLUMN flavor_version TEXT NOT NULL DEFAULT '';
    """,
    # 8: a step's log lives in the artifact store beside its outputs: where, and its size;
    # `logs` then keeps only its last lines (older step runs keep their whole log there)
    """
    ALTER TABLE step_runs ADD COLUMN log_uri TEXT NOT NULL DEFAULT '';
    ALTER TABLE step_runs ADD COLUMN log_size INTEGER;
    """,
    # 9: where a step's code ran when its orchestrator says (a Dask worker's address; '' when
    # it ran in the run's own process or the orchestrator does not say)
    """
    ALTER TABLE step_runs ADD COLUMN worker TEXT NOT NULL DEFAULT '';
    """,
    # 10: stacks and components are seen by their owner only until shared, so the default
    # stack and what it is made of are shared, as a new store seeds them: every user of a
    # store has it to run on
    """
    UPDATE stacks SET shared = 1 WHERE name = 'default';
    UPDATE components SET shared = 1 WHERE id IN (
        SELECT sc.component_id FROM stack_components sc JOIN stacks s ON s.id = sc.stack_id
        WHERE s.name = 'default'
    );
    """,
    # 11: labels (key=value tags) on components and stacks, as a JSON object
    """
    ALTER TABLE components ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE stacks ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
    """,
    # 12: the users of a team server and their bearer tokens, kept as sha256 hashes; revoking
    # a user stops every token of theirs
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        revoked TEXT
    );
    CREATE TABLE tokens (
        hash TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        created TEXT NOT NULL
    );
    """,
    # 13: runs newest first a page
    # at a time (the dashboard), all, of a pipeline or of a stack: the name, which breaks ties
    # in that order, joins the indexes, so that skipping to a late page walks an index instead
    # of sorting every run (run again, it changes nothing)
    """
    DROP INDEX IF EXISTS runs_by_started;
    CREATE INDEX runs_by_started ON runs (started, name);
    DROP INDEX IF EXISTS runs_by_pipeline;
    CREATE INDEX runs_by_pipeline ON runs (pipeline_id, started, name);
    CREATE INDEX IF NOT EXISTS runs_by_stack ON runs (stack_id, started, name);
    """,
    # 14: what a step run's components and code recorded about it (JSON: key -> value), such
    # as the id and tracking URI of the experiment tracker's run
    """
    ALTER TABLE step_runs ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
    """,
    # 15: ZenML's artifact versions: the version as shown (`version_name`: "3", or the text an
    # ArtifactConfig or save_artifact gave), unique per name; `version` keeps a number per name
    # (the version itself when it is a number, below 1 for a text version, so that the next
    # automatic version counts on from the numbers); tags (a JSON list) and ZenML's artifact
    # type; an index for the outputs of a pipeline's step (`artifact list --step`)
    """
    ALTER TABLE artifacts ADD COLUMN version_name TEXT NOT NULL DEFAULT '';
    UPDATE artifacts SET version_name = version || '';
    CREATE UNIQUE INDEX artifacts_by_version_name ON artifacts (name, version_name);
    ALTER TABLE artifacts ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE artifacts ADD COLUMN artifact_type TEXT NOT NULL DEFAULT 'DataArtifact';
    CREATE INDEX artifacts_by_producer ON artifacts (producer_step_run_id);
    """,
    # 16: what was logged about a run itself and about each artifact (JSON: key -> value),
    # beside the step runs' (14): `log_metadata`, `add_output_metadata`
    """
    ALTER TABLE runs ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE artifacts ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
    """,
    # 17: models and their numbered versions, each in a stage; a step run names the model
    # version it ran under, which links the outputs it made or reused, and its run, to it
    """
    CREATE TABLE models (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        tags TEXT NOT NULL,
        details TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE model_versions (
        id TEXT PRIMARY KEY,
        model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        name TEXT NOT NULL,
        stage TEXT NOT NULL,
        description TEXT NOT NULL,
        tags TEXT NOT NULL,
        created TEXT NOT NULL,
        UNIQUE (model_id, number),
        UNIQUE (model_id, name)
    );
    ALTER TABLE step_runs ADD COLUMN model_version_id TEXT;
    CREATE INDEX step_runs_by_model_version ON step_runs (model_version_id)
        WHERE model_version_id IS NOT NULL;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    """The statements of one migration, to run one by one inside a transaction."""
    return [statement for statement in script.split(";") if statement.strip()]


def newer_schema_error(location: str, version: int, supported: int) -> StoreError:
    """A store migrated by a newer runstack than this one: refused, not guessed at."""
    return StoreError(
        f"the store {location} was written by a newer runstack (schema {version}, "
        f"this one reads up to {supported}); upgrade runstack to use it"
    )
