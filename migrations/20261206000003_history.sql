-- History (issue 27): one row per thing that happened to a create, written in the same
-- transaction as the job change it describes. Append-only: rows are only ever inserted, and
-- deleted by the retention sweep (HISTORY_RETENTION_DAYS). Portable across SQLite and PostgreSQL:
-- TEXT ids (UUIDv7, time-ordered), BIGINT milliseconds on the database's clock, JSON as TEXT.
CREATE TABLE job_history (
    id                    TEXT PRIMARY KEY NOT NULL,
    at                    BIGINT NOT NULL,
    -- Who did it: a user id, or `system` for what the runner did.
    actor                 TEXT NOT NULL,
    actor_name            TEXT,
    -- Whose create it is about (who may read it): the job's owner, or the refused requester.
    owner_id              TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    outcome               TEXT NOT NULL,
    subscription_id       TEXT NOT NULL,
    resource_group        TEXT NOT NULL,
    cluster_name          TEXT NOT NULL,
    job_id                TEXT,
    -- Azure's message or the refusal's reason, searched by `q` with the cluster name.
    message               TEXT,
    details               TEXT NOT NULL DEFAULT '{}',
    azure_correlation_id  TEXT,
    azure_request_id      TEXT
);

-- A reader's own entries, newest first (and their filters on top).
CREATE INDEX job_history_owner_at ON job_history (owner_id, at, id);
-- An admin's view of everyone's, newest first; the retention sweep (oldest first).
CREATE INDEX job_history_at ON job_history (at, id);
-- One job's timeline (error card, ended screen).
CREATE INDEX job_history_job_at ON job_history (job_id, at);
-- An admin's filters by cluster and by actor.
CREATE INDEX job_history_cluster_at ON job_history (lower(cluster_name), at);
CREATE INDEX job_history_actor_at ON job_history (actor, at);

-- The runner that held a job when another took it over after its lease ran out (set by the
-- claim from the old row, read back by the same statement), for the `taken_over` entry.
ALTER TABLE job_state ADD COLUMN taken_from TEXT;
