-- +goose Up
-- The learned model `bugscope classify --model FILE` ran, per taxonomy:
-- the model file's bytes, so that a later `bugscope classify` runs it
-- again (with the rules and the ensemble) and every stored classifier is
-- refreshed, even when the file has moved.
CREATE TABLE classifier_models (
    taxonomy  TEXT PRIMARY KEY,
    version   TEXT NOT NULL,
    source    TEXT NOT NULL,   -- the file it was read from
    model     BLOB NOT NULL,
    stored_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE classifier_models;
