package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
)

// SaveClassifications stores classifications and the signals extracted for
// their issues in one transaction, replacing the same classifier's earlier
// result for the same issue and taxonomy. Signals replace an issue's earlier
// signals when signals holds an entry for it. A classification of text its
// issue no longer has (InputHash differs from the stored issue's TextHash:
// an import changed it meanwhile) fails the whole transaction with an
// EConflict error; SaveCurrent stores the others instead.
func (d *DB) SaveClassifications(ctx context.Context, cs []bugscope.Classification, signals map[bugscope.IssueRef][]bugscope.Signal) error {
	_, err := d.saveClassifications(ctx, cs, signals, false)
	return err
}

// SaveCurrent stores classifications and signals as SaveClassifications
// does, except those of issues whose text changed after the classifier read
// it: it leaves them (and their signals) out, inside the same transaction
// that checks, and returns their issues.
func (d *DB) SaveCurrent(ctx context.Context, cs []bugscope.Classification, signals map[bugscope.IssueRef][]bugscope.Signal) ([]bugscope.IssueRef, error) {
	return d.saveClassifications(ctx, cs, signals, true)
}

func (d *DB) saveClassifications(ctx context.Context, cs []bugscope.Classification, signals map[bugscope.IssueRef][]bugscope.Signal, keepGoing bool) ([]bugscope.IssueRef, error) {
	var rejected []bugscope.IssueRef
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		rejected = rejected[:0]
		find, err := tx.PrepareContext(ctx, `SELECT id, text_hash FROM issues WHERE repo = ? AND number = ?`)
		if err != nil {
			return err
		}
		defer find.Close()
		up, err := tx.PrepareContext(ctx, `INSERT INTO classifications
			(issue_id, taxonomy, taxonomy_version, classifier, classifier_version, confidence, dim_confidence, evidence, created_at, input_hash, evidence_brief)
			VALUES (?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (issue_id, taxonomy, classifier) DO UPDATE SET
			taxonomy_version = excluded.taxonomy_version, classifier_version = excluded.classifier_version,
			confidence = excluded.confidence, dim_confidence = excluded.dim_confidence,
			evidence = excluded.evidence, created_at = excluded.created_at, input_hash = excluded.input_hash,
			evidence_brief = excluded.evidence_brief
			RETURNING id`)
		if err != nil {
			return err
		}
		defer up.Close()
		delLabels, err := tx.PrepareContext(ctx, `DELETE FROM classification_labels WHERE classification_id = ?`)
		if err != nil {
			return err
		}
		defer delLabels.Close()
		insLabel := newRowBatch(tx, `INSERT OR IGNORE INTO classification_labels (classification_id, dimension, value, position) VALUES `, 4)
		defer insLabel.close()
		delSignals, err := tx.PrepareContext(ctx, `DELETE FROM signals WHERE issue_id = ?`)
		if err != nil {
			return err
		}
		defer delSignals.Close()
		insSignal := newRowBatch(tx, `INSERT OR IGNORE INTO signals (issue_id, kind, value, field, offset) VALUES `, 5)
		defer insSignal.close()

		type stored struct {
			id   int64
			hash string
		}
		issues := map[bugscope.IssueRef]stored{}
		issueID := func(ref bugscope.IssueRef) (stored, error) {
			if s, ok := issues[ref]; ok {
				return s, nil
			}
			var s stored
			err := find.QueryRowContext(ctx, ref.Repo, ref.Number).Scan(&s.id, &s.hash)
			if errors.Is(err, sql.ErrNoRows) {
				return s, fmt.Errorf("issue %s: %w", ref, bugscope.ErrNotFound)
			}
			issues[ref] = s
			return s, err
		}
		stale := map[bugscope.IssueRef]bool{}
		now := d.now().UTC()
		for i := range cs {
			c := &cs[i]
			if c.Confidence < 0 || c.Confidence > 1 {
				return fmt.Errorf("classification of %s: confidence %v outside 0..1", c.Issue, c.Confidence)
			}
			is, err := issueID(c.Issue)
			if err != nil {
				return err
			}
			id, read := is.id, c.InputHash
			if read == "" {
				read = is.hash // the caller did not say: the text as stored
			}
			if read != is.hash {
				if !stale[c.Issue] {
					stale[c.Issue] = true
					rejected = append(rejected, c.Issue)
				}
				continue
			}
			created := c.CreatedAt
			if created.IsZero() {
				created = now
			}
			dimConf, _ := json.Marshal(nonNilMap(c.DimConfidence))
			evidence := c.Evidence
			if evidence == nil {
				evidence = []bugscope.Evidence{}
			}
			evJSON, _ := json.Marshal(evidence)
			brief := []byte("[]")
			if b := firstEvidence(evidence, c.Labels); len(b) == len(evidence) {
				brief = evJSON
			} else if len(b) > 0 {
				brief, _ = json.Marshal(b)
			}
			var cid int64
			if err := up.QueryRowContext(ctx, id, c.Taxonomy, c.TaxonomyVersion, c.Classifier, c.ClassifierVersion,
				c.Confidence, string(dimConf), string(evJSON), created.Format(timeLayout), read, string(brief)).Scan(&cid); err != nil {
				return fmt.Errorf("store classification of %s: %w", c.Issue, err)
			}
			if err := insLabel.before(ctx, cid); err != nil {
				return err
			}
			if _, err := delLabels.ExecContext(ctx, cid); err != nil {
				return err
			}
			for dim, vals := range c.Labels {
				for pos, v := range vals {
					if err := insLabel.add(ctx, cid, dim, v, pos); err != nil {
						return err
					}
				}
			}
		}
		if err := insLabel.flush(ctx); err != nil {
			return err
		}
		if len(rejected) > 0 && !keepGoing {
			return bugscope.Errorf(bugscope.EConflict, "classification of %s: the issue changed after it was read (%d stale in all); nothing stored", rejected[0], len(rejected))
		}
		for ref, sigs := range signals {
			if stale[ref] {
				continue
			}
			is, err := issueID(ref)
			if err != nil {
				return err
			}
			id := is.id
			if err := insSignal.before(ctx, id); err != nil {
				return err
			}
			if _, err := delSignals.ExecContext(ctx, id); err != nil {
				return err
			}
			for _, s := range sigs {
				if err := insSignal.add(ctx, id, s.Kind, s.Value, s.Field, s.Offset); err != nil {
					return err
				}
			}
		}
		return insSignal.flush(ctx)
	})
	return rejected, err
}

// rowBatch inserts rows several to a statement: a classification's labels
// and an issue's signals are a handful of rows each, and a statement per
// row cost more than the rows themselves. Rows wait until rowBatchMax are
// there (or flush); before deletes an owner's rows, so that a delete meant
// to clear earlier rows never meets rows added after it.
type rowBatch struct {
	tx      *sql.Tx
	head    string // INSERT ... VALUES
	cols    int
	stmts   map[int]*sql.Stmt // by number of rows
	args    []any
	pending map[int64]bool // owners (the first column) of the waiting rows
}

const rowBatchMax = 64

func newRowBatch(tx *sql.Tx, head string, cols int) *rowBatch {
	return &rowBatch{tx: tx, head: head, cols: cols, stmts: map[int]*sql.Stmt{}, pending: map[int64]bool{}}
}

func (b *rowBatch) add(ctx context.Context, owner int64, rest ...any) error {
	b.args = append(append(b.args, owner), rest...)
	b.pending[owner] = true
	if len(b.args) >= rowBatchMax*b.cols {
		return b.flush(ctx)
	}
	return nil
}

// before flushes the waiting rows if some belong to owner.
func (b *rowBatch) before(ctx context.Context, owner int64) error {
	if b.pending[owner] {
		return b.flush(ctx)
	}
	return nil
}

func (b *rowBatch) flush(ctx context.Context) error {
	rows := len(b.args) / b.cols
	if rows == 0 {
		return nil
	}
	st := b.stmts[rows]
	if st == nil {
		one := "(" + strings.TrimSuffix(strings.Repeat("?,", b.cols), ",") + ")"
		var err error
		if st, err = b.tx.PrepareContext(ctx, b.head+strings.TrimSuffix(strings.Repeat(one+",", rows), ",")); err != nil {
			return err
		}
		b.stmts[rows] = st
	}
	if _, err := st.ExecContext(ctx, b.args...); err != nil {
		return err
	}
	b.args = b.args[:0]
	clear(b.pending)
	return nil
}

func (b *rowBatch) close() {
	for _, st := range b.stmts {
		st.Close()
	}
}

// firstEvidence keeps, in order, the first item of ev for each value of
// labels, in a slice of its own (the rest is left to the collector).
func firstEvidence(ev []bugscope.Evidence, labels bugscope.Labels) []bugscope.Evidence {
	var out []bugscope.Evidence
	seen := map[[2]string]bool{}
	for _, e := range ev {
		k := [2]string{e.Dimension, e.Value}
		if seen[k] || !slices.Contains(labels[e.Dimension], e.Value) {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

func nonNilMap(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

// classifiedWhere is the condition on the issues (alias i) of a
// ClassifiedFilter: the issue filter and the text it must contain.
func classifiedWhere(f bugscope.ClassifiedFilter) (string, []any) {
	where, args := issueWhere(f.IssueFilter)
	text, targs := containsWhere(f.Contains, nil)
	return where + text, append(args, targs...)
}

// Classified returns the issues the filter selects that the classifier has
// labelled in the taxonomy, in (repo, number) order.
func (d *DB) Classified(ctx context.Context, f bugscope.ClassifiedFilter) ([]bugscope.Classified, error) {
	where, args := classifiedWhere(f)
	// the issues' conditions (signals are read with them alone) and the
	// classifications'
	labels, largs := labelWhere(f)
	cwhere, cargs := where+labels, append(slices.Clip(args), largs...)
	body := "''"
	if f.WithBody {
		body = "i.body"
	}
	q := `SELECT i.id, i.repo, i.number, i.title, ` + body + `, i.labels, i.state, i.author_association, i.created_at,
		i.updated_at, i.closed_at, i.comments, i.reactions, i.url, i.is_pull_request,
		c.id, c.taxonomy_version, c.classifier_version, c.confidence, c.dim_confidence, c.evidence, c.created_at,
		c.input_hash, c.input_hash != i.text_hash
		FROM classifications c JOIN issues i ON i.id = c.issue_id
		WHERE c.taxonomy = ? AND c.classifier = ? AND ` + cwhere + ` ORDER BY i.repo, i.number`
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM classifications c JOIN issues i ON i.id = c.issue_id
		WHERE c.taxonomy = ? AND c.classifier = ? AND `+cwhere, append([]any{f.Taxonomy, f.Classifier}, cargs...)...).Scan(&n); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, q, append([]any{f.Taxonomy, f.Classifier}, cargs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]bugscope.Classified, 0, n) // sized once: a slice grown by doubling would hold twice as much at its peak
	byClass := make(map[int64]int, n)
	byIssue := make(map[int64]int, n)
	for rows.Next() {
		var (
			ci                       bugscope.Classified
			issueID, cid             int64
			labels, dimConf, ev, cAt string
			created, updated, closed sql.NullString
		)
		is := &ci.Issue
		c := &ci.Classification
		if err := rows.Scan(&issueID, &is.Repo, &is.Number, &is.Title, &is.Body, &labels, &is.State, &is.AuthorAssociation,
			&created, &updated, &closed, &is.Comments, &is.Reactions, &is.URL, &is.IsPullRequest,
			&cid, &c.TaxonomyVersion, &c.ClassifierVersion, &c.Confidence, &dimConf, &ev, &cAt,
			&c.InputHash, &c.Stale); err != nil {
			return nil, err
		}
		is.CreatedAt, is.UpdatedAt, is.ClosedAt = parseTime(created), parseTime(updated), parseTime(closed)
		if err := json.Unmarshal([]byte(labels), &is.Labels); err != nil {
			return nil, fmt.Errorf("issue %s: stored labels: %w", is.Ref(), err)
		}
		c.Issue, c.Taxonomy, c.Classifier = is.Ref(), f.Taxonomy, f.Classifier
		if err := json.Unmarshal([]byte(dimConf), &c.DimConfidence); err != nil {
			return nil, fmt.Errorf("classification of %s: %w", is.Ref(), err)
		}
		if err := json.Unmarshal([]byte(ev), &c.Evidence); err != nil {
			return nil, fmt.Errorf("classification of %s: %w", is.Ref(), err)
		}
		if t, err := time.Parse(time.RFC3339, cAt); err == nil {
			c.CreatedAt = t
		}
		c.Labels = bugscope.Labels{}
		byClass[cid] = len(out)
		byIssue[issueID] = len(out)
		out = append(out, ci)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	// Labels and signals of the selected issues in one query each, with
	// the same filter: cheaper than one query per issue.
	lrows, err := d.db.QueryContext(ctx, `SELECT l.classification_id, l.dimension, l.value FROM classification_labels l
		JOIN classifications c ON c.id = l.classification_id JOIN issues i ON i.id = c.issue_id
		WHERE c.taxonomy = ? AND c.classifier = ? AND `+cwhere+`
		ORDER BY l.classification_id, l.dimension, l.position`, append([]any{f.Taxonomy, f.Classifier}, cargs...)...)
	if err != nil {
		return nil, err
	}
	defer lrows.Close()
	for lrows.Next() {
		var cid int64
		var dim, val string
		if err := lrows.Scan(&cid, &dim, &val); err != nil {
			return nil, err
		}
		if i, ok := byClass[cid]; ok {
			l := out[i].Classification.Labels
			l[dim] = append(l[dim], val)
		}
	}
	if err := lrows.Err(); err != nil {
		return nil, err
	}
	if f.WithSignals {
		srows, err := d.db.QueryContext(ctx, `SELECT s.issue_id, s.kind, s.value, s.field, s.offset FROM signals s
			JOIN issues i ON i.id = s.issue_id WHERE `+where+` ORDER BY s.issue_id, s.kind, s.offset`, args...)
		if err != nil {
			return nil, err
		}
		defer srows.Close()
		for srows.Next() {
			var id int64
			var s bugscope.Signal
			if err := srows.Scan(&id, &s.Kind, &s.Value, &s.Field, &s.Offset); err != nil {
				return nil, err
			}
			if i, ok := byIssue[id]; ok {
				out[i].Signals = append(out[i].Signals, s)
			}
		}
		if err := srows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Signals returns the signals stored for one issue.
func (d *DB) Signals(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.Signal, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT s.kind, s.value, s.field, s.offset FROM signals s
		JOIN issues i ON i.id = s.issue_id WHERE i.repo = ? AND i.number = ? ORDER BY s.kind, s.offset`, ref.Repo, ref.Number)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bugscope.Signal
	for rows.Next() {
		var s bugscope.Signal
		if err := rows.Scan(&s.Kind, &s.Value, &s.Field, &s.Offset); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ClassificationsOf returns every stored classification of one issue,
// ordered by taxonomy and classifier.
func (d *DB) ClassificationsOf(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.Classification, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT c.taxonomy, c.classifier FROM classifications c
		JOIN issues i ON i.id = c.issue_id WHERE i.repo = ? AND i.number = ? ORDER BY c.taxonomy, c.classifier`, ref.Repo, ref.Number)
	if err != nil {
		return nil, err
	}
	type key struct{ tax, cls string }
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.tax, &k.cls); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	var out []bugscope.Classification
	for _, k := range keys {
		cs, err := d.Classified(ctx, bugscope.ClassifiedFilter{Taxonomy: k.tax, Classifier: k.cls,
			IssueFilter: bugscope.IssueFilter{Repos: []string{ref.Repo}, Number: ref.Number, IncludePulls: true}})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			out = append(out, c.Classification)
		}
	}
	return out, nil
}

// Classifiers lists the classifiers that have labelled issues in a taxonomy,
// most recently used first.
func (d *DB) Classifiers(ctx context.Context, taxonomy string) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT classifier FROM classifications WHERE taxonomy = ?
		GROUP BY classifier ORDER BY MAX(created_at) DESC, classifier`, taxonomy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// needExpr is the SQL expression of why issue i needs classifying by the
// classifiers of f: 3 a classification missing, 2 one of other text, 1 of
// another version, 0 all current (bugscope.ClassifyPlan); and its
// arguments.
func needExpr(f bugscope.ClassifyFilter) (string, []any) {
	names := make([]string, 0, len(f.Current))
	for n := range f.Current {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := []string{"0", "0"} // max() of one argument would be the aggregate
	var args []any
	for _, n := range names {
		parts = append(parts, `COALESCE((SELECT CASE WHEN c.input_hash != i.text_hash THEN 2
			WHEN c.classifier_version != ? THEN 1 ELSE 0 END
			FROM classifications c WHERE c.issue_id = i.id AND c.taxonomy = ? AND c.classifier = ?), 3)`)
		args = append(args, f.Current[n], f.Taxonomy, n)
	}
	return "max(" + strings.Join(parts, ", ") + ")", args
}

// PlanClassify counts the issues f selects by why a run labels them.
func (d *DB) PlanClassify(ctx context.Context, f bugscope.ClassifyFilter) (bugscope.ClassifyPlan, error) {
	var p bugscope.ClassifyPlan
	need, nargs := needExpr(f)
	where, wargs := issueWhere(f.IssueFilter)
	rows, err := d.db.QueryContext(ctx, `SELECT need, COUNT(*) FROM (SELECT `+need+` AS need FROM issues i WHERE `+where+`) GROUP BY need`,
		append(nargs, wargs...)...)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var need, n int
		if err := rows.Scan(&need, &n); err != nil {
			return p, err
		}
		switch need {
		case 3:
			p.New = n
		case 2:
			p.Changed = n
		case 1:
			p.OtherVersion = n
		default:
			p.Current = n
		}
	}
	return p, rows.Err()
}

// ClassifyBatches calls fn with the issues f selects that need
// classifying (all of them with f.All), bodies included, in batches of
// at most size, in id order, as IssueBatches does.
func (d *DB) ClassifyBatches(ctx context.Context, f bugscope.ClassifyFilter, size int, fn func([]bugscope.Issue) error) error {
	if f.All {
		return d.IssueBatches(ctx, f.IssueFilter, size, fn)
	}
	need, nargs := needExpr(f)
	where, wargs := issueWhere(f.IssueFilter)
	return d.batches(ctx, where+" AND "+need+" > 0", append(wargs, nargs...), size, fn)
}
