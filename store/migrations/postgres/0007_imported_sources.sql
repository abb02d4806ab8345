-- Where an imported conversation came from (`chatgpt:<their id>`, `confab:<original id>`, ...),
-- so that importing the same conversation again is recognized: one record per owner and
-- source. The record goes with its conversation.
CREATE TABLE imported_sources (
    owner      TEXT NOT NULL,
    source     TEXT NOT NULL,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    PRIMARY KEY (owner, source)
);
CREATE INDEX imported_sources_by_context ON imported_sources (context_id);
