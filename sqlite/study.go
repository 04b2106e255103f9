package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
)

// answerLayout keeps milliseconds, so that two answers given in one
// second still show their order; the text still sorts as time.
const answerLayout = "2006-01-02T15:04:05.000Z"

func (d *DB) stamp(t time.Time) string {
	if t.IsZero() {
		t = d.now()
	}
	return t.UTC().Format(answerLayout)
}

func parseStamp(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// CreateSample stores a sample and its items in one transaction. A sample
// of the same name is an EConflict error unless replace is set; a sample
// that has annotations is never replaced.
func (d *DB) CreateSample(ctx context.Context, s study.Sample, replace bool) error {
	if strings.TrimSpace(s.Name) == "" {
		return bugscope.Errorf(bugscope.EInvalid, "a sample needs a name")
	}
	params, err := json.Marshal(s.Params)
	if err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var old int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM samples WHERE name = ?`, s.Name).Scan(&old)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case !replace:
			return bugscope.Errorf(bugscope.EConflict, "sample %q already exists", s.Name)
		default:
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM annotations WHERE sample_id = ?`, old).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return bugscope.Errorf(bugscope.EConflict, "sample %q has %d annotations; it cannot be replaced (choose another name)", s.Name, n)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM samples WHERE id = ?`, old); err != nil {
				return err
			}
		}
		created := s.CreatedAt
		if created.IsZero() {
			created = d.now()
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO samples (name, taxonomy, taxonomy_version, method, params, created_at)
			VALUES (?,?,?,?,?,?)`, s.Name, s.Taxonomy, s.TaxonomyVersion, s.Method, string(params), d.stamp(created))
		if err != nil {
			return err
		}
		sid, err := res.LastInsertId()
		if err != nil {
			return err
		}
		find, err := tx.PrepareContext(ctx, `SELECT id FROM issues WHERE repo = ? AND number = ?`)
		if err != nil {
			return err
		}
		defer find.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO sample_items (sample_id, issue_id, stratum, position, stratum_position, half)
			VALUES (?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, it := range s.Items {
			var iid int64
			err := find.QueryRowContext(ctx, it.Issue.Repo, it.Issue.Number).Scan(&iid)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("issue %s: %w (import it first)", it.Issue, bugscope.ErrNotFound)
			}
			if err != nil {
				return err
			}
			if _, err := ins.ExecContext(ctx, sid, iid, it.Stratum, it.Position, it.StratumPosition, it.Half); err != nil {
				return fmt.Errorf("sample %q, issue %s: %w", s.Name, it.Issue, err)
			}
		}
		return nil
	})
}

// DeleteSample removes a sample with its items, annotations and
// arbitrations.
func (d *DB) DeleteSample(ctx context.Context, name string) error {
	res, err := d.db.ExecContext(ctx, `DELETE FROM samples WHERE name = ?`, name)
	if err != nil {
		return d.classify(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sample %q: %w", name, bugscope.ErrNotFound)
	}
	return nil
}

// GetSample returns one sample, without its items.
func (d *DB) GetSample(ctx context.Context, name string) (study.Sample, error) {
	s, _, err := getSample(ctx, d.db, name)
	return s, err
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// getSample returns a sample and its row id.
func getSample(ctx context.Context, q queryRower, name string) (study.Sample, int64, error) {
	var s study.Sample
	var id int64
	var params, created string
	err := q.QueryRowContext(ctx, `SELECT id, name, taxonomy, taxonomy_version, method, params, created_at FROM samples WHERE name = ?`, name).
		Scan(&id, &s.Name, &s.Taxonomy, &s.TaxonomyVersion, &s.Method, &params, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return s, 0, fmt.Errorf("sample %q: %w", name, bugscope.ErrNotFound)
	}
	if err != nil {
		return s, 0, err
	}
	if err := json.Unmarshal([]byte(params), &s.Params); err != nil {
		return s, 0, fmt.Errorf("sample %q: stored parameters: %w", name, err)
	}
	s.CreatedAt = parseStamp(created)
	return s, id, nil
}

// Samples lists the samples, oldest first, with their progress.
func (d *DB) Samples(ctx context.Context) ([]study.SampleSummary, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT s.id, s.name, s.taxonomy, s.taxonomy_version, s.method, s.params, s.created_at,
		(SELECT COUNT(*) FROM sample_items WHERE sample_id = s.id),
		(SELECT COUNT(DISTINCT issue_id) FROM arbitrations WHERE sample_id = s.id)
		FROM samples s ORDER BY s.created_at, s.id`)
	byID := map[int64]int{}
	out, err := collect(rows, err, func(rows *sql.Rows) (study.SampleSummary, error) {
		var s study.SampleSummary
		var id int64
		var params, created string
		if err := rows.Scan(&id, &s.Name, &s.Taxonomy, &s.TaxonomyVersion, &s.Method, &params, &created, &s.ItemCount, &s.Arbitrated); err != nil {
			return s, err
		}
		if err := json.Unmarshal([]byte(params), &s.Params); err != nil {
			return s, fmt.Errorf("sample %q: stored parameters: %w", s.Name, err)
		}
		s.CreatedAt, s.Raters = parseStamp(created), map[string]int{}
		byID[id] = len(byID)
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	rrows, err := d.db.QueryContext(ctx, `SELECT sample_id, rater, COUNT(DISTINCT issue_id) FROM annotations GROUP BY sample_id, rater`)
	if err != nil {
		return nil, err
	}
	defer rrows.Close()
	for rrows.Next() {
		var id int64
		var rater string
		var n int
		if err := rrows.Scan(&id, &rater, &n); err != nil {
			return nil, err
		}
		if i, ok := byID[id]; ok {
			out[i].Raters[rater] = n
		}
	}
	return out, rrows.Err()
}

// SampleItems returns a sample's issues in annotation order.
func (d *DB) SampleItems(ctx context.Context, name string) ([]study.SampleItem, error) {
	_, sid, err := getSample(ctx, d.db, name)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT i.repo, i.number, si.stratum, si.position, si.stratum_position, si.half
		FROM sample_items si JOIN issues i ON i.id = si.issue_id WHERE si.sample_id = ? ORDER BY si.position`, sid)
	return collect(rows, err, func(rows *sql.Rows) (study.SampleItem, error) {
		var it study.SampleItem
		err := rows.Scan(&it.Issue.Repo, &it.Issue.Number, &it.Stratum, &it.Position, &it.StratumPosition, &it.Half)
		return it, err
	})
}

// collect scans every row of a query, closing the rows; err is the
// query's.
func collect[T any](rows *sql.Rows, err error, scan func(*sql.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// sampleIssueIDs maps the issues of a sample to their row ids.
func sampleIssueIDs(ctx context.Context, tx *sql.Tx, sampleID int64) (map[bugscope.IssueRef]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT i.repo, i.number, i.id FROM sample_items si JOIN issues i ON i.id = si.issue_id
		WHERE si.sample_id = ?`, sampleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[bugscope.IssueRef]int64{}
	for rows.Next() {
		var ref bugscope.IssueRef
		var id int64
		if err := rows.Scan(&ref.Repo, &ref.Number, &id); err != nil {
			return nil, err
		}
		out[ref] = id
	}
	return out, rows.Err()
}

func labelsJSON(l bugscope.Labels) string {
	clean := bugscope.Labels{}
	for k, v := range l {
		if len(v) > 0 {
			clean[k] = v
		}
	}
	b, _ := json.Marshal(clean) // map keys are sorted
	return string(b)
}

// SaveAnnotations stores answers on issues of a sample in one transaction
// and returns their ids. An answer on an issue outside the sample fails
// the whole call.
// A row with a Submission key that the rater used before is not stored
// again (the unique index annotations_submission backs the check).
func (d *DB) SaveAnnotations(ctx context.Context, sample string, anns []study.Annotation) ([]study.Saved, error) {
	return d.insertOnSample(ctx, sample, `INSERT INTO annotations
			(sample_id, issue_id, rater, labels, confidence, note, exclude_reason, source, submission, created_at)
			VALUES (?,?,?,?,?,?,?,?,?,?)`,
		`SELECT id FROM annotations WHERE sample_id = ? AND rater = ? AND submission = ?`, len(anns), func(i int) sampleRow {
			a := &anns[i]
			r := sampleRow{issue: a.Issue, what: fmt.Sprintf("answer of %s on %s", a.Rater, a.Issue),
				values: []any{a.Rater, labelsJSON(a.Labels), a.Confidence, a.Note, a.ExcludeReason, a.Source, nullable(a.Submission)}, created: a.CreatedAt}
			if a.Submission != "" {
				r.key = []any{a.Rater, a.Submission}
			}
			if strings.TrimSpace(a.Rater) == "" {
				r.invalid = bugscope.Errorf(bugscope.EInvalid, "answer on %s: no rater", a.Issue)
			}
			return r
		})
}

// sampleRow is a row to insert on an issue of a sample.
type sampleRow struct {
	issue   bugscope.IssueRef
	values  []any     // the values after the sample's and the issue's row ids
	created time.Time // the last value, stored as stamp does
	what    string    // names the row in errors
	invalid error     // what is wrong with the row, if anything
	// key, when set, are the arguments after the sample's row id of the
	// query that finds a row stored before with the same submission key.
	key []any
}

// nullable stores "" as NULL: a row without a submission key.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// insertOnSample inserts n rows, row(0) to row(n-1), on issues of a
// sample in one transaction with stmt, whose values are the sample's and
// the issue's row ids, the row's values and its time, and returns their
// ids. A row with a key that find (given the sample's row id and the key)
// finds is not inserted: its id is the found row's. A row on an
// issue outside the sample, or an invalid one, fails the whole call.
func (d *DB) insertOnSample(ctx context.Context, sample, stmt, find string, n int, row func(i int) sampleRow) ([]study.Saved, error) {
	ids := make([]study.Saved, 0, n)
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		_, sid, err := getSample(ctx, tx, sample)
		if err != nil {
			return err
		}
		issues, err := sampleIssueIDs(ctx, tx, sid)
		if err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, stmt)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i := range n {
			r := row(i)
			iid, ok := issues[r.issue]
			if !ok {
				return fmt.Errorf("issue %s is not in sample %q: %w", r.issue, sample, bugscope.ErrNotFound)
			}
			if r.invalid != nil {
				return r.invalid
			}
			if r.key != nil {
				var id int64
				err := tx.QueryRowContext(ctx, find, append([]any{sid}, r.key...)...).Scan(&id)
				if err == nil {
					ids = append(ids, study.Saved{ID: id})
					continue
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			res, err := ins.ExecContext(ctx, append(append([]any{sid, iid}, r.values...), d.stamp(r.created))...)
			if err != nil {
				return fmt.Errorf("%s: %w", r.what, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			ids = append(ids, study.Saved{ID: id, Stored: true})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// Annotations returns a sample's annotations in item order, then by rater
// and time.
func (d *DB) Annotations(ctx context.Context, sample string, q study.AnnotationQuery) ([]study.Annotation, error) {
	_, sid, err := getSample(ctx, d.db, sample)
	if err != nil {
		return nil, err
	}
	cond := "a.sample_id = ?"
	args := []any{sid}
	if q.Rater != "" {
		cond += " AND a.rater = ?"
		args = append(args, q.Rater)
	}
	if !q.History {
		cond += ` AND a.id = (SELECT MAX(b.id) FROM annotations b WHERE b.sample_id = a.sample_id AND b.rater = a.rater AND b.issue_id = a.issue_id)`
	}
	rows, err := d.db.QueryContext(ctx, `SELECT a.id, i.repo, i.number, a.rater, a.labels, a.confidence, a.note, a.exclude_reason, a.source, a.created_at
		FROM annotations a JOIN issues i ON i.id = a.issue_id
		JOIN sample_items si ON si.sample_id = a.sample_id AND si.issue_id = a.issue_id
		WHERE `+cond+` ORDER BY si.position, a.rater, a.id`, args...)
	return collect(rows, err, func(rows *sql.Rows) (study.Annotation, error) {
		var a study.Annotation
		var labels, created string
		if err := rows.Scan(&a.ID, &a.Issue.Repo, &a.Issue.Number, &a.Rater, &labels, &a.Confidence, &a.Note, &a.ExcludeReason, &a.Source, &created); err != nil {
			return a, err
		}
		if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
			return a, fmt.Errorf("annotation %d: stored labels: %w", a.ID, err)
		}
		a.CreatedAt = parseStamp(created)
		return a, nil
	})
}

// SaveArbitrations stores decisions on issues of a sample in one
// transaction and returns their ids.
func (d *DB) SaveArbitrations(ctx context.Context, sample string, arbs []study.Arbitration) ([]study.Saved, error) {
	return d.insertOnSample(ctx, sample, `INSERT INTO arbitrations
			(sample_id, issue_id, arbitrator, labels, confidence, note, exclude_reason, settled, source, submission, created_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		`SELECT id FROM arbitrations WHERE sample_id = ? AND arbitrator = ? AND submission = ?`, len(arbs), func(i int) sampleRow {
			a := &arbs[i]
			settled := a.Settled
			if settled == nil {
				settled = []int64{}
			}
			sj, _ := json.Marshal(settled)
			r := sampleRow{issue: a.Issue, what: fmt.Sprintf("decision of %s on %s", a.Arbitrator, a.Issue),
				values: []any{a.Arbitrator, labelsJSON(a.Labels), a.Confidence, a.Note, a.ExcludeReason, string(sj), a.Source, nullable(a.Submission)}, created: a.CreatedAt}
			if a.Submission != "" {
				r.key = []any{a.Arbitrator, a.Submission}
			}
			if strings.TrimSpace(a.Arbitrator) == "" {
				r.invalid = bugscope.Errorf(bugscope.EInvalid, "decision on %s: no arbitrator", a.Issue)
			}
			return r
		})
}

// Arbitrations returns a sample's decisions in item order: the latest per
// issue, or every one with history.
func (d *DB) Arbitrations(ctx context.Context, sample string, history bool) ([]study.Arbitration, error) {
	_, sid, err := getSample(ctx, d.db, sample)
	if err != nil {
		return nil, err
	}
	cond := "a.sample_id = ?"
	if !history {
		cond += ` AND a.id = (SELECT MAX(b.id) FROM arbitrations b WHERE b.sample_id = a.sample_id AND b.issue_id = a.issue_id)`
	}
	rows, err := d.db.QueryContext(ctx, `SELECT a.id, i.repo, i.number, a.arbitrator, a.labels, a.confidence, a.note, a.exclude_reason,
		a.settled, a.source, a.created_at
		FROM arbitrations a JOIN issues i ON i.id = a.issue_id
		JOIN sample_items si ON si.sample_id = a.sample_id AND si.issue_id = a.issue_id
		WHERE `+cond+` ORDER BY si.position, a.id`, sid)
	return collect(rows, err, func(rows *sql.Rows) (study.Arbitration, error) {
		var a study.Arbitration
		var labels, settled, created string
		if err := rows.Scan(&a.ID, &a.Issue.Repo, &a.Issue.Number, &a.Arbitrator, &labels, &a.Confidence, &a.Note, &a.ExcludeReason,
			&settled, &a.Source, &created); err != nil {
			return a, err
		}
		if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
			return a, fmt.Errorf("arbitration %d: stored labels: %w", a.ID, err)
		}
		if err := json.Unmarshal([]byte(settled), &a.Settled); err != nil {
			return a, fmt.Errorf("arbitration %d: stored settled ids: %w", a.ID, err)
		}
		a.CreatedAt = parseStamp(created)
		return a, nil
	})
}

// Candidates returns the issues the filter selects, in (repo, number)
// order.
func (d *DB) Candidates(ctx context.Context, f study.CandidateFilter) ([]bugscope.IssueRef, error) {
	where, args := issueWhere(f.IssueFilter)
	if len(f.Kinds) > 0 {
		if f.Taxonomy == "" || f.Classifier == "" || f.KindDimension == "" {
			return nil, bugscope.Errorf(bugscope.EInvalid, "a kind filter needs a taxonomy, a classifier and the kind dimension")
		}
		where += ` AND EXISTS (SELECT 1 FROM classifications c JOIN classification_labels l ON l.classification_id = c.id
			WHERE c.issue_id = i.id AND c.taxonomy = ? AND c.classifier = ? AND l.dimension = ? AND l.value IN (` + placeholders(len(f.Kinds)) + `))`
		args = append(args, f.Taxonomy, f.Classifier, f.KindDimension)
		for _, k := range f.Kinds {
			args = append(args, k)
		}
	}
	text, targs := containsWhere(f.Terms, f.Without)
	where += text
	args = append(args, targs...)
	rows, err := d.db.QueryContext(ctx, `SELECT i.repo, i.number FROM issues i WHERE `+where+` ORDER BY i.repo, i.number`, args...)
	return collect(rows, err, func(rows *sql.Rows) (bugscope.IssueRef, error) {
		var r bugscope.IssueRef
		err := rows.Scan(&r.Repo, &r.Number)
		return r, err
	})
}

// containsWhere is the condition (" AND ...", or "") that an issue's title
// or body contains every one of terms and none of without, as substrings
// with ASCII case ignored.
func containsWhere(terms, without []string) (string, []any) {
	var where string
	var args []any
	for _, t := range terms {
		where += ` AND (i.title LIKE ? ESCAPE '\' OR i.body LIKE ? ESCAPE '\')`
		p := likePattern(t)
		args = append(args, p, p)
	}
	for _, t := range without {
		where += ` AND NOT (i.title LIKE ? ESCAPE '\' OR i.body LIKE ? ESCAPE '\')`
		p := likePattern(t)
		args = append(args, p, p)
	}
	return where, args
}

// likePattern matches s anywhere, with LIKE's wildcards in s taken
// literally.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}
