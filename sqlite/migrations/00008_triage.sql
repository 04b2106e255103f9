-- +goose Up
-- Triage for maintainers (bugscope triage, the GitHub webhook).

-- The webhook's queue: every accepted delivery, once (GitHub's
-- X-GitHub-Delivery is unique per delivery; a redelivery reuses it and is
-- answered without being queued again). A worker claims the oldest
-- pending row, acts, and marks it done; a row left 'working' by a crash is
-- claimed again after a restart, and the actions log below makes the second
-- attempt do nothing twice.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    delivery_id TEXT    NOT NULL UNIQUE,
    event       TEXT    NOT NULL,
    action      TEXT    NOT NULL DEFAULT '',
    repo        TEXT    NOT NULL DEFAULT '',
    number      INTEGER NOT NULL DEFAULT 0,
    payload     BLOB    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'working', 'done', 'failed', 'ignored')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    received_at TEXT    NOT NULL,
    done_at     TEXT
);
CREATE INDEX webhook_deliveries_state ON webhook_deliveries (state, id);

-- The latest triage decision per issue: what bugscope proposes (labels by
-- dimension, with confidence and evidence, JSON), the repository labels it
-- maps to, which of them the mode and the gate let through, and the
-- similar issues.
CREATE TABLE triage_decisions (
    repo        TEXT    NOT NULL,
    number      INTEGER NOT NULL,
    mode        TEXT    NOT NULL,
    taxonomy    TEXT    NOT NULL,
    classifier  TEXT    NOT NULL,
    decision    TEXT    NOT NULL, -- JSON: triage.Decision
    decided_at  TEXT    NOT NULL,
    PRIMARY KEY (repo, number)
) WITHOUT ROWID;

-- Every GitHub call triage makes or would make (dry-run), with its
-- outcome: 'started' before the call, 'done' or 'failed' after. A call
-- 'started' but not finished is one a crash interrupted: the next attempt
-- checks GitHub's state before repeating it.
CREATE TABLE triage_actions (
    id          INTEGER PRIMARY KEY,
    repo        TEXT    NOT NULL,
    number      INTEGER NOT NULL,
    delivery_id TEXT    NOT NULL DEFAULT '',
    mode        TEXT    NOT NULL,
    call        TEXT    NOT NULL, -- add_labels, create_comment, edit_comment
    request     TEXT    NOT NULL, -- JSON: labels or comment body hash
    state       TEXT    NOT NULL CHECK (state IN ('started', 'done', 'failed', 'dry-run')),
    result      TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    finished_at TEXT
);
CREATE INDEX triage_actions_issue ON triage_actions (repo, number, id);

-- The labels bugscope applied (so that a maintainer's removal can be told
-- from a label bugscope never set) and the one comment per issue.
CREATE TABLE triage_applied (
    repo       TEXT    NOT NULL,
    number     INTEGER NOT NULL,
    label      TEXT    NOT NULL,
    dimension  TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    applied_at TEXT    NOT NULL,
    PRIMARY KEY (repo, number, label)
) WITHOUT ROWID;

CREATE TABLE triage_comments (
    repo       TEXT    NOT NULL,
    number     INTEGER NOT NULL,
    comment_id INTEGER NOT NULL,
    body_hash  TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (repo, number)
) WITHOUT ROWID;

-- The go-live gate: one row per check and mapped label.
CREATE TABLE triage_gate (
    check_id   INTEGER NOT NULL,
    repo       TEXT    NOT NULL, -- the config's repository entry ('*' for all)
    label      TEXT    NOT NULL,
    dimension  TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    gold       TEXT    NOT NULL, -- the gold files
    examples   INTEGER NOT NULL, -- gold issues with the value
    predicted  INTEGER NOT NULL, -- gold issues the label would be applied to
    correct    INTEGER NOT NULL,
    scored     INTEGER NOT NULL, -- gold issues scored
    pass       INTEGER NOT NULL,
    checked_at TEXT    NOT NULL,
    PRIMARY KEY (check_id, repo, label)
) WITHOUT ROWID;

-- What maintainers did to mapped labels: removed one bugscope applied, or
-- added one by hand. Read as label records of rater 'maintainers'.
CREATE TABLE triage_feedback (
    id          INTEGER PRIMARY KEY,
    repo        TEXT    NOT NULL,
    number      INTEGER NOT NULL,
    delivery_id TEXT    NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('removed', 'added')),
    label       TEXT    NOT NULL,
    dimension   TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    actor       TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    UNIQUE (delivery_id, action, label)
);
CREATE INDEX triage_feedback_issue ON triage_feedback (repo, number, id);

-- When `bugscope triage --new` last ran, per repository.
CREATE TABLE triage_runs (
    repo   TEXT PRIMARY KEY,
    ran_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE triage_runs;
DROP TABLE triage_feedback;
DROP TABLE triage_gate;
DROP TABLE triage_comments;
DROP TABLE triage_applied;
DROP TABLE triage_actions;
DROP TABLE triage_decisions;
DROP TABLE webhook_deliveries;
