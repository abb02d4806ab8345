-- Where a conversation sits in its owner's list (pinned, archived, its folder), as JSON;
-- NULL is the default place. And the folders themselves: a deleted folder's conversations
-- are in no folder (their place names a folder that is gone), so nothing else is rewritten.
ALTER TABLE contexts ADD COLUMN place TEXT;
CREATE TABLE folders (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX folders_by_owner ON folders (owner);
