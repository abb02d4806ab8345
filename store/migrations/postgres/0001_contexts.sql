-- Chat contexts and their message trees. Ids are UUIDs as text and timestamps Unix
-- milliseconds (UTC), as in the SQLite schema, so both backends share their row types.
CREATE TABLE contexts (
    id              TEXT PRIMARY KEY,
    owner           TEXT NOT NULL,
    title           TEXT NOT NULL,
    title_is_manual BOOLEAN NOT NULL DEFAULT FALSE,
    status          TEXT NOT NULL,
    version         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    active_branch   TEXT NOT NULL,
    branches        TEXT NOT NULL,            -- JSON: [{name, head}]
    last_error      TEXT,
    recent_actions  TEXT NOT NULL DEFAULT '[]' -- JSON: client_action_ids, oldest first
);
CREATE INDEX contexts_by_owner ON contexts (owner, updated_at DESC);
CREATE INDEX contexts_by_status ON contexts (status);

CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    context_id       TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    position         BIGINT NOT NULL,          -- insertion order: parents come first
    parent_id        TEXT,
    role             TEXT NOT NULL,
    content          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    complete         BOOLEAN NOT NULL,
    tool_calls       TEXT NOT NULL DEFAULT '[]', -- JSON
    tool_call_id     TEXT,
    client_action_id TEXT,
    stop_reason      TEXT,
    UNIQUE (context_id, position)
);
