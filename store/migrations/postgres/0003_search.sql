-- Full-text search with PostgreSQL's own text search: a tsvector kept by the database itself
-- for every message and title, and GIN indexes over them. The 'simple' configuration folds
-- case without stemming, so words match as typed, in any language.
ALTER TABLE messages ADD COLUMN content_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED;
CREATE INDEX messages_search ON messages USING GIN (content_tsv);

ALTER TABLE contexts ADD COLUMN title_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED;
CREATE INDEX contexts_search ON contexts USING GIN (title_tsv);
