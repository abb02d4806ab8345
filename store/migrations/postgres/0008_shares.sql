-- Read-only links to a snapshot of a conversation's active branch. The token is the link
-- itself and is kept as it is, so that its owner can copy the link again from the list; a
-- copy of the database holds the conversations anyway. A share goes with its conversation.
CREATE TABLE shares (
    id         TEXT PRIMARY KEY,
    token      TEXT NOT NULL UNIQUE,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    owner      TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX shares_by_context ON shares (context_id);
