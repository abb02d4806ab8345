-- The tools a conversation runs without asking ("allow in this conversation"), as a JSON
-- array of tool names; NULL is none.
ALTER TABLE contexts ADD COLUMN allowed_tools TEXT;
