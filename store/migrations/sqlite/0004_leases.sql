-- Which process runs work (a generation, a tool run) on a context, and until when (Unix
-- milliseconds). A lease that is not renewed expires, and another process may take over.
CREATE TABLE context_leases (
    context_id TEXT PRIMARY KEY NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
