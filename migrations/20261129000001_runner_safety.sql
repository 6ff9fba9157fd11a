-- What the job runner needs to be safe on a shared subscription (docs/job-runner.md).

-- When the create PUT was (about to be) sent, written before the PUT leaves: Stop must reach Azure
-- for every job that may have created something, whatever its status is now.
ALTER TABLE job_state ADD COLUMN arm_put_at BIGINT;

-- Runs of this job that ended in an internal error (a panic, a row that cannot be read); the job
-- fails once there were too many, instead of being taken up forever.
ALTER TABLE job_state ADD COLUMN internal_errors BIGINT NOT NULL DEFAULT 0;

-- A job handed back after an internal error is not taken up again before this time.
ALTER TABLE job_state ADD COLUMN not_before BIGINT;

-- One in-flight job per cluster, whoever asks. Jobs that would break the rule (two users could
-- press Create in the same second before this index existed) keep the oldest in flight: it is the
-- one that reached Azure first.
UPDATE job_state SET status = 'failed', error_code = 'duplicate_in_flight',
    error_category = 'unknown',
    error_message = 'Another job for the same cluster was already in flight; this one was stopped.'
WHERE status IN ('queued', 'running') AND cluster_key IS NOT NULL AND EXISTS (
    SELECT 1 FROM job_state older
    WHERE older.cluster_key = job_state.cluster_key
      AND older.status IN ('queued', 'running')
      AND (older.created_at < job_state.created_at
           OR (older.created_at = job_state.created_at AND older.id < job_state.id)));

CREATE UNIQUE INDEX job_state_one_in_flight_per_cluster
    ON job_state (cluster_key) WHERE status IN ('queued', 'running');

-- The runner's per-server reads: its own running jobs (lease renewal, cancel requests).
CREATE INDEX job_state_holder_status ON job_state (lease_holder, status);

-- "Was this cluster created again by a later provision (any owner)?", for the delete guard.
CREATE INDEX job_state_cluster_status_created ON job_state (cluster_key, status, created_at);
