-- Who may do what, where (issue 25).

-- The name of the job's owner as their sign-in gave it (an Entra object id owns the job; people
-- read the name). NULL for jobs made before names were kept: the id is shown.
ALTER TABLE job_state ADD COLUMN owner_name TEXT;

-- The owner's role when the job was made (`reader`, `operator`, `admin`): what the job may do in
-- Azure on their behalf (create a missing resource group only where a `sub/*` scope lets that
-- role). NULL for jobs made before roles existed.
ALTER TABLE job_state ADD COLUMN owner_role TEXT;

-- Signed-in sessions (AUTH_MODE=oidc), kept server-side: the cookie holds only the id.
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
