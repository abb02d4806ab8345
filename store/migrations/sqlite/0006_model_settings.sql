-- What a conversation asks of its model (JSON: model, system_prompt, parameters; NULL on
-- conversations saved before: the server's defaults), where the model's view of it started,
-- and per reply: the model that wrote it, its reasoning, usage and timing.
ALTER TABLE contexts ADD COLUMN settings TEXT;
ALTER TABLE contexts ADD COLUMN context_window_start TEXT;
ALTER TABLE messages ADD COLUMN model TEXT;
ALTER TABLE messages ADD COLUMN reasoning TEXT;
ALTER TABLE messages ADD COLUMN reasoning_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN usage TEXT;   -- JSON: {prompt_tokens, completion_tokens}
ALTER TABLE messages ADD COLUMN timing TEXT;  -- JSON: {first_token_ms, tokens_per_second}

-- A user's defaults and presets, as one JSON document changed by compare-and-swap on its
-- version (two tabs saving presets at once: one retries, nothing is lost).
CREATE TABLE preferences (
    user_id TEXT PRIMARY KEY NOT NULL,  -- like contexts.owner, no foreign key
    doc     TEXT NOT NULL,
    version INTEGER NOT NULL
);
