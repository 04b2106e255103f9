package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// LLMAnswer is one cached answer of the LLM classifier.
type LLMAnswer struct {
	Key              string
	Model            string
	Taxonomy         string
	Repo             string
	Number           int
	Valid            bool
	Answer           string
	Error            string
	Attempts         int
	PromptTokens     int64
	CompletionTokens int64
}

// LLMLookup returns the valid cached answer under key, if any.
func (d *DB) LLMLookup(ctx context.Context, key string) (string, bool, error) {
	var answer string
	err := d.db.QueryRowContext(ctx, `SELECT answer FROM llm_answers WHERE key = ? AND valid = 1`, key).Scan(&answer)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return answer, err == nil, err
}

// LLMStore stores (or replaces) a cached answer.
func (d *DB) LLMStore(ctx context.Context, a LLMAnswer) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO llm_answers
		(key, model, taxonomy, repo, number, valid, answer, error, attempts, prompt_tokens, completion_tokens, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (key) DO UPDATE SET valid = excluded.valid, answer = excluded.answer, error = excluded.error,
		attempts = excluded.attempts, prompt_tokens = excluded.prompt_tokens,
		completion_tokens = excluded.completion_tokens, created_at = excluded.created_at`,
		a.Key, a.Model, a.Taxonomy, a.Repo, a.Number, a.Valid, a.Answer, a.Error, a.Attempts,
		a.PromptTokens, a.CompletionTokens, d.now().UTC().Format(timeLayout))
	return d.classify(err)
}

// LLMRun is what one LLM classification run did and cost.
type LLMRun struct {
	Model, Endpoint, Taxonomy string
	Issues, CacheHits         int64
	Requests, Retries         int64
	Invalid                   int64
	PromptTokens              int64
	CompletionTokens          int64
	Started                   time.Time
	Seconds                   float64
}

// LLMRecordRun stores a run's counts.
func (d *DB) LLMRecordRun(ctx context.Context, r LLMRun) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO llm_runs (model, endpoint, taxonomy, issues, cache_hits, requests, retries,
		invalid, prompt_tokens, completion_tokens, started_at, seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.Model, r.Endpoint, r.Taxonomy, r.Issues, r.CacheHits, r.Requests, r.Retries, r.Invalid,
		r.PromptTokens, r.CompletionTokens, r.Started.UTC().Format(timeLayout), r.Seconds)
	return d.classify(err)
}

// LLMTokens returns the tokens all recorded runs used, by model.
func (d *DB) LLMTokens(ctx context.Context) (map[string][2]int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT model, SUM(prompt_tokens), SUM(completion_tokens) FROM llm_runs GROUP BY model`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][2]int64{}
	for rows.Next() {
		var m string
		var p, c int64
		if err := rows.Scan(&m, &p, &c); err != nil {
			return nil, err
		}
		out[m] = [2]int64{p, c}
	}
	return out, rows.Err()
}
