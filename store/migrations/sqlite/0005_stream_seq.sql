-- How many streamed pieces a reply's saved text holds, so that a process which loads a reply
-- while it streams (another process's, on a shared database) can continue it piece by piece.
ALTER TABLE messages ADD COLUMN stream_seq INTEGER NOT NULL DEFAULT 0;
