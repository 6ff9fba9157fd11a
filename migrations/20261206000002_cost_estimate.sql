-- What it will cost (issue 28): the estimate a create was made with (JSON of the price-estimate
-- answer), so the error card and the ended screen say what was expected. NULL when the prices
-- could not be read in time, and for jobs made before estimates existed.
ALTER TABLE job_state ADD COLUMN estimate TEXT;
