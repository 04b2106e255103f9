-- +goose Up
-- What a classification read: issues.text_hash is bugscope.Issue.TextHash
-- (title, body, labels) of the stored text, classifications.input_hash
-- that of the text the classifier read. They differ when an import changed
-- the issue after it was classified: the classification is stale. Rows of
-- older databases get their text_hash when the database is migrated
-- (sqlite.backfillTextHash); their classifications keep an empty
-- input_hash, stale until classified again, since what they read is not
-- known.
ALTER TABLE issues ADD COLUMN text_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE classifications ADD COLUMN input_hash TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE classifications DROP COLUMN input_hash;
ALTER TABLE issues DROP COLUMN text_hash;
