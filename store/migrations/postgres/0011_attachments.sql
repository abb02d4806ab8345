-- Uploaded files. A blob is the bytes, stored once per owner and content (their SHA-256)
-- and never shared across owners, so nobody learns what someone else uploaded. An attachment
-- is one use of a blob: its name, and the conversation it was sent in (NULL until it is
-- sent; uploads never sent are swept after a day). A conversation's attachments go with it,
-- and a blob no attachment uses any more goes with them.
CREATE TABLE blobs (
    owner          TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    size           BIGINT NOT NULL,
    data           BYTEA NOT NULL,
    extracted_text TEXT,
    prompt_tokens  BIGINT NOT NULL,
    PRIMARY KEY (owner, sha256)
);
CREATE TABLE attachments (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    name       TEXT NOT NULL,
    context_id TEXT REFERENCES contexts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (owner, sha256) REFERENCES blobs (owner, sha256)
);
CREATE INDEX attachments_by_blob ON attachments (owner, sha256);
CREATE INDEX attachments_by_context ON attachments (context_id);
CREATE INDEX attachments_unsent ON attachments (created_at) WHERE context_id IS NULL;
-- The files a message was sent with: a JSON array of {id, name, media_type, size,
-- prompt_tokens}; NULL when none.
ALTER TABLE messages ADD COLUMN attachments TEXT;
