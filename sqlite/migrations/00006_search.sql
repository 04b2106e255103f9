-- +goose Up
-- Full-text search over titles and bodies for bugscope serve. The index is
-- contentless (the text stays in issues alone) and allows deletes by rowid
-- (the issue's id), so that it is brought up to date incrementally. It is
-- filled by serve (RefreshSearch), never by import: issues_fts_state holds
-- the content hash each issue was indexed with; an issue whose hash changed
-- is indexed again.
CREATE VIRTUAL TABLE issues_fts USING fts5(title, body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2');
CREATE TABLE issues_fts_state (
    issue_id     INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL
);

-- +goose Down
DROP TABLE issues_fts_state;
DROP TABLE issues_fts;
