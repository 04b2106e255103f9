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
-- The evidence reports quote: of classifications.evidence, the first item
-- for each labelled value (JSON), so that a report of a million issues
-- does not decode all of it. NULL in older rows: reports read evidence.
ALTER TABLE classifications ADD COLUMN evidence_brief TEXT;

-- +goose Down
ALTER TABLE classifications DROP COLUMN evidence_brief;
ALTER TABLE classifications DROP COLUMN input_hash;
ALTER TABLE issues DROP COLUMN text_hash;
