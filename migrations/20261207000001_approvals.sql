-- Creates that wait for an admin (issue 39): one row per request awaiting approval, decided at
-- most once (every decision is an UPDATE ... WHERE status = 'pending'). Portable across SQLite
-- and PostgreSQL: TEXT ids and JSON, BIGINT milliseconds since the Unix epoch.
CREATE TABLE approvals (
    id               TEXT PRIMARY KEY NOT NULL,
    status           TEXT NOT NULL
        CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'withdrawn')),
    owner_id         TEXT NOT NULL,
    owner_name       TEXT NOT NULL,
    owner_role       TEXT NOT NULL,
    subscription_id  TEXT NOT NULL,
    resource_group   TEXT NOT NULL,
    -- lower(subscription/resource group/cluster name), as job_state's.
    cluster_key      TEXT NOT NULL,
    -- The ProvisionRequest as asked (JSON).
    request          TEXT NOT NULL,
    reason           TEXT NOT NULL,
    -- The price estimate it was asked with (JSON); NULL: prices could not be read.
    estimate         TEXT,
    currency         TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    decided_by       TEXT,
    decided_by_name  TEXT,
    decided_at       BIGINT,
    note             TEXT,
    job_id           TEXT,
    task_id          TEXT
);

-- One request awaiting approval per cluster: two presses of Create on one name make one.
CREATE UNIQUE INDEX approvals_one_pending_per_cluster ON approvals (cluster_key)
    WHERE status = 'pending';
-- The queue (and the expiry sweep): pending ones, oldest first.
CREATE INDEX approvals_status_created ON approvals (status, created_at);
-- A requester's own, newest first.
CREATE INDEX approvals_owner_created ON approvals (owner_id, created_at);
-- What an admin decided, newest first.
CREATE INDEX approvals_decided_by ON approvals (decided_by, decided_at);
