-- +goose Up
-- What bugscope serve reads besides the study's tables. Full-text search
-- over titles and bodies: The index is
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

-- The issue lists of bugscope serve: one row per classification of an
-- issue (not a pull request) with the issue's sort and filter keys; best
-- marks the classification a report uses for the issue (the best
-- classifier that labelled it, bugscope.ClassifierPreference). Rebuilt by
-- serve when the data changed (RefreshBrowse), never by import or
-- classify: a list then reads a narrow table with indexes in its orders
-- instead of joining issues to classifications and ranking them.
CREATE TABLE serve_browse (
    classification_id INTEGER PRIMARY KEY,
    issue_id          INTEGER NOT NULL,
    taxonomy          TEXT    NOT NULL,
    classifier        TEXT    NOT NULL,
    best              INTEGER NOT NULL,
    confidence        REAL    NOT NULL,
    repo              TEXT    NOT NULL,
    number            INTEGER NOT NULL,
    state             TEXT    NOT NULL,
    created_at        TEXT,
    updated_at        TEXT,
    comments          INTEGER NOT NULL,
    reactions         INTEGER NOT NULL,
    -- the classification's labels, '|dimension=value|...|', so that a
    -- filter on labels tests the row itself (instr) instead of a lookup
    -- per row; taxonomy ids hold no '|' or '='
    labels            TEXT    NOT NULL
);
CREATE INDEX serve_browse_created ON serve_browse (taxonomy, best, created_at);
CREATE INDEX serve_browse_updated ON serve_browse (taxonomy, best, updated_at);
CREATE INDEX serve_browse_comments ON serve_browse (taxonomy, best, comments);
CREATE INDEX serve_browse_confidence ON serve_browse (taxonomy, best, confidence);
CREATE INDEX serve_browse_number ON serve_browse (taxonomy, best, repo, number);
CREATE INDEX serve_browse_classifier ON serve_browse (taxonomy, classifier, created_at);
CREATE INDEX serve_browse_issue ON serve_browse (issue_id);

-- +goose Down
DROP TABLE serve_browse;
DROP TABLE issues_fts_state;
DROP TABLE issues_fts;
