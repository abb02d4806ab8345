-- How many streamed pieces a reply's saved text holds, so that a process which loads a reply
-- while it streams in another process can relay the rest piece by piece.
ALTER TABLE messages ADD COLUMN stream_seq BIGINT NOT NULL DEFAULT 0;
