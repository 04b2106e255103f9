-- +goose Up
-- Answers of the LLM classifier, keyed by a hash of everything that shapes
-- them (prompt version, model, taxonomy prompt, issue content): a re-run
-- asks only for what changed. Invalid answers are kept, marked, with why,
-- and asked again on the next run.
CREATE TABLE llm_answers (
    key               TEXT    PRIMARY KEY,
    model             TEXT    NOT NULL,
    taxonomy          TEXT    NOT NULL,
    repo              TEXT    NOT NULL,
    number            INTEGER NOT NULL,
    valid             INTEGER NOT NULL CHECK (valid IN (0, 1)),
    answer            TEXT    NOT NULL,
    error             TEXT    NOT NULL DEFAULT '',
    attempts          INTEGER NOT NULL DEFAULT 1,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT    NOT NULL
);
CREATE INDEX llm_answers_issue ON llm_answers (repo, number);

-- One row per LLM classification run: what it cost.
CREATE TABLE llm_runs (
    id                INTEGER PRIMARY KEY,
    model             TEXT    NOT NULL,
    endpoint          TEXT    NOT NULL,
    taxonomy          TEXT    NOT NULL,
    issues            INTEGER NOT NULL,
    cache_hits        INTEGER NOT NULL,
    requests          INTEGER NOT NULL,
    retries           INTEGER NOT NULL,
    invalid           INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    started_at        TEXT    NOT NULL,
    seconds           REAL    NOT NULL
);

-- +goose Down
DROP TABLE llm_runs;
DROP TABLE llm_answers;
