-- +goose Up
-- Issues and pull requests, one row per (repo, number). Times are UTC text
-- (2006-01-02T15:04:05Z) so that text order is time order; NULL when the
-- source did not give them.
CREATE TABLE issues (
    id                 INTEGER PRIMARY KEY,
    repo               TEXT    NOT NULL,
    number             INTEGER NOT NULL,
    title              TEXT    NOT NULL,
    body               TEXT    NOT NULL DEFAULT '',
    labels             TEXT    NOT NULL DEFAULT '[]', -- JSON array of names
    state              TEXT    NOT NULL DEFAULT '',
    author_association TEXT    NOT NULL DEFAULT '',
    created_at         TEXT,
    updated_at         TEXT,
    closed_at          TEXT,
    comments           INTEGER NOT NULL DEFAULT 0,
    reactions          INTEGER NOT NULL DEFAULT 0,
    url                TEXT    NOT NULL DEFAULT '',
    is_pull_request    INTEGER NOT NULL DEFAULT 0,
    content_hash       TEXT    NOT NULL,            -- of the stored fields, to tell real changes
    stored_at          TEXT    NOT NULL,
    UNIQUE (repo, number)
);
CREATE INDEX issues_repo_updated ON issues (repo, updated_at);
CREATE INDEX issues_created ON issues (created_at);

-- Label names, one row each, for filtering by label.
CREATE TABLE issue_labels (
    issue_id INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    label    TEXT    NOT NULL,
    PRIMARY KEY (issue_id, label)
) WITHOUT ROWID;
CREATE INDEX issue_labels_label ON issue_labels (label);

-- Structured signals extracted from a report (error signatures, GPUs, ...).
CREATE TABLE signals (
    issue_id INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    kind     TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    field    TEXT    NOT NULL,
    offset   INTEGER NOT NULL,
    PRIMARY KEY (issue_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX signals_kind_value ON signals (kind, value);

-- One classifier's labelling of one issue in one taxonomy.
CREATE TABLE classifications (
    id                 INTEGER PRIMARY KEY,
    issue_id           INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    taxonomy           TEXT    NOT NULL,
    taxonomy_version   TEXT    NOT NULL,
    classifier         TEXT    NOT NULL,
    classifier_version TEXT    NOT NULL,
    confidence         REAL    NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    dim_confidence     TEXT    NOT NULL DEFAULT '{}', -- JSON: dimension -> 0..1
    evidence           TEXT    NOT NULL DEFAULT '[]', -- JSON array of bugscope.Evidence
    created_at         TEXT    NOT NULL,
    UNIQUE (issue_id, taxonomy, classifier)
);
CREATE INDEX classifications_taxonomy ON classifications (taxonomy, classifier);

-- The values of a classification, one row per (dimension, value).
CREATE TABLE classification_labels (
    classification_id INTEGER NOT NULL REFERENCES classifications (id) ON DELETE CASCADE,
    dimension         TEXT    NOT NULL,
    value             TEXT    NOT NULL,
    position          INTEGER NOT NULL,
    PRIMARY KEY (classification_id, dimension, value)
) WITHOUT ROWID;
CREATE INDEX classification_labels_dim_value ON classification_labels (dimension, value);

-- For people who query the database directly: the default taxonomy's
-- dimensions as columns.
CREATE VIEW labelled AS
SELECT i.repo, i.number, i.title, i.state, c.taxonomy, c.classifier, c.confidence,
       (SELECT value FROM classification_labels WHERE classification_id = c.id AND dimension = 'kind') AS kind,
       (SELECT value FROM classification_labels WHERE classification_id = c.id AND dimension = 'category') AS category,
       (SELECT value FROM classification_labels WHERE classification_id = c.id AND dimension = 'root_cause' ORDER BY position LIMIT 1) AS root_cause,
       (SELECT value FROM classification_labels WHERE classification_id = c.id AND dimension = 'severity') AS severity,
       (SELECT group_concat(value, ',') FROM classification_labels WHERE classification_id = c.id AND dimension = 'patterns') AS patterns
FROM classifications c JOIN issues i ON i.id = c.issue_id;

-- +goose Down
DROP VIEW labelled;
DROP TABLE classification_labels;
DROP TABLE classifications;
DROP TABLE signals;
DROP TABLE issue_labels;
DROP TABLE issues;
