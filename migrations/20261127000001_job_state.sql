-- Durable jobs (today: AKS provisions). Portable across SQLite and PostgreSQL through sqlx's
-- `Any` driver: TEXT ids and JSON, BIGINT milliseconds since the Unix epoch, BIGINT 0/1 flags.
CREATE TABLE job_state (
    id                TEXT PRIMARY KEY NOT NULL,
    task_id           TEXT NOT NULL,
    type              TEXT NOT NULL,
    status            TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    phase             TEXT,
    step              BIGINT NOT NULL DEFAULT 0,
    total_steps       BIGINT NOT NULL DEFAULT 0,
    owner_id          TEXT NOT NULL,
    -- lower(subscription/resource group/cluster name): a later success of the same cluster
    -- supersedes an older failure.
    cluster_key       TEXT,
    payload           TEXT NOT NULL,
    progress          TEXT NOT NULL DEFAULT '{}',
    error_code        TEXT,
    error_message     TEXT,
    error_category    TEXT,
    raw_error         TEXT,
    partial_cluster   TEXT,
    cancel_requested  BIGINT NOT NULL DEFAULT 0,
    lease_holder      TEXT,
    lease_expires_at  BIGINT,
    lease_attempts    BIGINT NOT NULL DEFAULT 0,
    dismissed_at      BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE UNIQUE INDEX job_state_task_id ON job_state (task_id);

-- Recent failures and in-flight jobs of one owner: equality on the first three, range on time.
CREATE INDEX job_state_owner_type_status_created ON job_state (owner_id, type, status, created_at);

-- An owner's job history, newest first.
CREATE INDEX job_state_owner_created ON job_state (owner_id, created_at);

-- "Was this failure superseded by a newer success of the same cluster?"
CREATE INDEX job_state_owner_cluster_status_created
    ON job_state (owner_id, cluster_key, status, created_at);

-- The runner: queued jobs, and running jobs whose lease has expired.
CREATE INDEX job_state_status_lease ON job_state (status, lease_expires_at);
