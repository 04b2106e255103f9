-- +goose Up
-- The human side of a study: named samples of issues, raters' annotations
-- of them, and the arbitrator's decisions. Annotations and arbitrations are
-- never updated in place: every answer is a new row, the latest (highest id)
-- per rater and issue counts, and the history stays for the record.

-- A named sample: how it was drawn is kept in params (JSON: filters,
-- confidence, margin, fixed size, seed, stratification, per-stratum
-- population and sizes), so that the data card can say it and the draw can
-- be repeated.
CREATE TABLE samples (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL UNIQUE,
    taxonomy         TEXT    NOT NULL,
    taxonomy_version TEXT    NOT NULL,
    method           TEXT    NOT NULL,            -- cochran, fixed, explicit
    params           TEXT    NOT NULL DEFAULT '{}',
    created_at       TEXT    NOT NULL
);

-- The issues of a sample. position is the annotation order (1-based,
-- unique in the sample); stratum_position the order of the random draw
-- inside the stratum; half 1 or 2 (the first half settles the codebook, the
-- second measures agreement, as in the source study).
CREATE TABLE sample_items (
    sample_id        INTEGER NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    issue_id         INTEGER NOT NULL REFERENCES issues (id),
    stratum          TEXT    NOT NULL,
    position         INTEGER NOT NULL,
    stratum_position INTEGER NOT NULL,
    half             INTEGER NOT NULL CHECK (half IN (1, 2)),
    PRIMARY KEY (sample_id, issue_id),
    UNIQUE (sample_id, position)
) WITHOUT ROWID;

-- One answer of one rater on one issue of a sample: labels (JSON,
-- dimension -> [values]), or an exclusion with its reason.
CREATE TABLE annotations (
    id             INTEGER PRIMARY KEY,
    sample_id      INTEGER NOT NULL,
    issue_id       INTEGER NOT NULL,
    rater          TEXT    NOT NULL,
    labels         TEXT    NOT NULL DEFAULT '{}',
    confidence     TEXT    NOT NULL DEFAULT '',   -- high, low, a number in 0..1, or ''
    note           TEXT    NOT NULL DEFAULT '',
    exclude_reason TEXT    NOT NULL DEFAULT '',   -- set: the rater leaves the issue out
    source         TEXT    NOT NULL DEFAULT '',   -- tui, import:FILE, cli
    created_at     TEXT    NOT NULL,
    FOREIGN KEY (sample_id, issue_id) REFERENCES sample_items (sample_id, issue_id) ON DELETE CASCADE
);
CREATE INDEX annotations_latest ON annotations (sample_id, rater, issue_id, id);
CREATE INDEX annotations_issue ON annotations (sample_id, issue_id);

-- The arbitrator's final word on one issue of a sample: the final labels,
-- or an exclusion. settled lists the annotation ids the decision saw
-- (JSON array), so that a later change of a rater's answer shows as stale.
CREATE TABLE arbitrations (
    id             INTEGER PRIMARY KEY,
    sample_id      INTEGER NOT NULL,
    issue_id       INTEGER NOT NULL,
    arbitrator     TEXT    NOT NULL,
    labels         TEXT    NOT NULL DEFAULT '{}',
    confidence     TEXT    NOT NULL DEFAULT '',
    note           TEXT    NOT NULL DEFAULT '',
    exclude_reason TEXT    NOT NULL DEFAULT '',
    settled        TEXT    NOT NULL DEFAULT '[]',
    source         TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    FOREIGN KEY (sample_id, issue_id) REFERENCES sample_items (sample_id, issue_id) ON DELETE CASCADE
);
CREATE INDEX arbitrations_latest ON arbitrations (sample_id, issue_id, id);

-- +goose Down
DROP TABLE arbitrations;
DROP TABLE annotations;
DROP TABLE sample_items;
DROP TABLE samples;
