-- +goose Up
-- A study team in the browser: raters with their sign-in links and
-- sessions, and the submission keys that make a form sent twice store one
-- answer. Links and sessions are kept as the SHA-256 of their random
-- 256-bit tokens, never the tokens.

CREATE TABLE raters (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,   -- the name stored with the rater's answers
    admin      INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    -- 1: may annotate every sample; 0: only those of rater_samples (a
    -- deleted sample takes its grant along, never widening the others)
    every_sample INTEGER NOT NULL DEFAULT 0 CHECK (every_sample IN (0, 1)),
    created_at TEXT    NOT NULL,
    revoked_at TEXT                       -- set: no sign-in, no session
);

-- The samples a rater without every_sample may annotate.
CREATE TABLE rater_samples (
    rater_id  INTEGER NOT NULL REFERENCES raters (id) ON DELETE CASCADE,
    sample_id INTEGER NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    PRIMARY KEY (rater_id, sample_id)
) WITHOUT ROWID;

-- One-time sign-in links; used_at set once the link opened a session.
CREATE TABLE sign_in_links (
    hash       TEXT    PRIMARY KEY,
    rater_id   INTEGER NOT NULL REFERENCES raters (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    used_at    TEXT
) WITHOUT ROWID;
CREATE INDEX sign_in_links_rater ON sign_in_links (rater_id);

CREATE TABLE sessions (
    hash       TEXT    PRIMARY KEY,
    rater_id   INTEGER NOT NULL REFERENCES raters (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_rater ON sessions (rater_id);

-- The key of the form that sent an answer or a decision (NULL: from the
-- terminal, a file, the command line): one row per rater and key.
ALTER TABLE annotations ADD COLUMN submission TEXT;
CREATE UNIQUE INDEX annotations_submission ON annotations (sample_id, rater, submission) WHERE submission IS NOT NULL;
ALTER TABLE arbitrations ADD COLUMN submission TEXT;
CREATE UNIQUE INDEX arbitrations_submission ON arbitrations (sample_id, arbitrator, submission) WHERE submission IS NOT NULL;

-- +goose Down
DROP INDEX arbitrations_submission;
ALTER TABLE arbitrations DROP COLUMN submission;
DROP INDEX annotations_submission;
ALTER TABLE annotations DROP COLUMN submission;
DROP TABLE sessions;
DROP TABLE sign_in_links;
DROP TABLE rater_samples;
DROP TABLE raters;
