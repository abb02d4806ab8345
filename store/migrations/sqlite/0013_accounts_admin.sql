-- Running the accounts: who is an administrator, who is disabled and when each was last
-- seen; each session's device and last use (so a person can see and end them); settings the
-- administrators change at run time (the registration mode); and single-use invites.
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_seen_at INTEGER;
-- On a database from before roles, the oldest account runs the server.
UPDATE users SET admin = 1 WHERE id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1);

ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_used_at INTEGER;
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE server_settings (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- An invite is stored by the SHA-256 of its secret, as sessions are; used once.
CREATE TABLE invites (
    token_hash TEXT PRIMARY KEY NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    used_at    INTEGER
);
