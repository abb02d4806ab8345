-- Which process runs work (a generation, a tool run) on a context, and until when, by the
-- database's clock (so the processes' clocks need not agree). A lease that is not renewed
-- expires, and another process takes over.
CREATE TABLE context_leases (
    context_id TEXT PRIMARY KEY REFERENCES contexts (id) ON DELETE CASCADE,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
