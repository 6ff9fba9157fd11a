-- The failure's explanation (issue 37): the classifier's words for a job that ended failed or
-- cancelled (JSON of the Classification the API shows), written once as the job ends so that no
-- view classifies it again. NULL for jobs that ended before, and for the rare ends the runner
-- writes without reading Azure's answer (a job given up after crashes); those are classified
-- when read.
ALTER TABLE job_state ADD COLUMN explanation TEXT;
