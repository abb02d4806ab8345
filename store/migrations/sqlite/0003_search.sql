-- Full-text search over message contents and conversation titles (FTS5), kept in step by
-- triggers. The index tables use the rowids of their source tables.
CREATE VIRTUAL TABLE messages_fts USING fts5(content, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO messages_fts (rowid, content) SELECT rowid, content FROM messages;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    UPDATE messages_fts SET content = new.content WHERE rowid = old.rowid;
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.rowid;
END;

CREATE VIRTUAL TABLE contexts_fts USING fts5(title, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO contexts_fts (rowid, title) SELECT rowid, title FROM contexts;
CREATE TRIGGER contexts_fts_insert AFTER INSERT ON contexts BEGIN
    INSERT INTO contexts_fts (rowid, title) VALUES (new.rowid, new.title);
END;
CREATE TRIGGER contexts_fts_update AFTER UPDATE OF title ON contexts BEGIN
    UPDATE contexts_fts SET title = new.title WHERE rowid = old.rowid;
END;
CREATE TRIGGER contexts_fts_delete AFTER DELETE ON contexts BEGIN
    DELETE FROM contexts_fts WHERE rowid = old.rowid;
END;
