-- Placeholder so the migrator has a history from the first build; the job_state schema follows.
SELECT 1;
