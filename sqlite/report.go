package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
)

// pairsExpr is the SQL expression that packs two columns of every row of
// a subquery into one text: each as its length in bytes, a colon, and
// itself (a netstring without the comma), so that no separator can occur
// in the values. The order is the aggregate's.
func pairsExpr(a, b, from, order string) string {
	return `(SELECT group_concat(octet_length(` + a + `) || ':' || ` + a + ` || octet_length(` + b + `) || ':' || ` + b +
		`, '' ORDER BY ` + order + `) FROM ` + from + `)`
}

// eachPair calls fn with the pairs of a pairsExpr text.
func eachPair(s []byte, fn func(a, b []byte)) error {
	next := func() ([]byte, error) {
		i := 0
		for i < len(s) && s[i] != ':' {
			i++
		}
		n, err := strconv.Atoi(string(s[:i]))
		if err != nil || i == len(s) || n < 0 || n > len(s)-i-1 {
			return nil, fmt.Errorf("malformed packed pairs %q", s)
		}
		v := s[i+1 : i+1+n]
		s = s[i+1+n:]
		return v, nil
	}
	for len(s) > 0 {
		a, err := next()
		if err != nil {
			return err
		}
		b, err := next()
		if err != nil {
			return err
		}
		fn(a, b)
	}
	return nil
}

// ReportItems returns what a report reads of the issues the filter
// selects that the classifier labelled in the taxonomy
// (bugscope.ReportItem), in (repo, number) order, in one streaming pass
// over one query: each row brings its labels and its signals packed in a
// text (pairsExpr) and, of its evidence, only that of dimension
// f.EvidenceOf (all of it when empty), the first item for each labelled
// value. Title and address are kept only for issues with such evidence,
// to quote; repeated strings, equal label sets and signals are shared.
// Bodies, dimension confidences and other signal kinds are not read.
func (d *DB) ReportItems(ctx context.Context, f bugscope.ClassifiedFilter) ([]bugscope.ReportItem, error) {
	where, args := classifiedWhere(f)
	var n int
	base := append([]any{f.Taxonomy, f.Classifier}, args...)
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM classifications c JOIN issues i ON i.id = c.issue_id
		WHERE c.taxonomy = ? AND c.classifier = ? AND `+where, base...).Scan(&n); err != nil {
		return nil, err
	}
	kinds := strings.TrimSuffix(strings.Repeat("?, ", len(bugscope.ReportSignalKinds)), ", ")
	var qargs []any
	for _, k := range bugscope.ReportSignalKinds {
		qargs = append(qargs, k)
	}
	evidence := "COALESCE(c.evidence_brief, c.evidence)"
	if f.EvidenceOf != "" {
		// read (and decoded, below) only where the dimension's name occurs
		evidence = `CASE WHEN instr(` + evidence + `, json_quote(?)) = 0 THEN '[]' ELSE ` + evidence + ` END`
		qargs = append(qargs, f.EvidenceOf)
	}
	q := `SELECT i.repo, i.number, i.state, i.created_at, i.updated_at, i.closed_at, i.comments, i.reactions,
		c.classifier_version, c.confidence, c.input_hash != i.text_hash,
		` + pairsExpr("l.dimension", "l.value", "classification_labels l WHERE l.classification_id = c.id", "l.dimension, l.position") + `,
		` + pairsExpr("s.kind", "s.value", "signals s WHERE s.issue_id = i.id AND s.kind IN ("+kinds+")", "s.kind, s.value") + `,
		` + evidence + `, i.title, i.url
		FROM issues i CROSS JOIN classifications c ON c.issue_id = i.id
		WHERE c.taxonomy = ? AND c.classifier = ? AND ` + where + ` ORDER BY i.repo, i.number`
	rows, err := d.db.QueryContext(ctx, q, append(qargs, base...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]bugscope.ReportItem, 0, n) // sized once: a slice grown by doubling would hold twice as much at its peak
	var (
		in       = interner{}
		versions = map[string]*bugscope.ClassifierID{}
		labelSet = map[string]bugscope.Labels{"": noLabels}
		signal   = map[string]*bugscope.ReportSignal{}
		// raw columns, reused from row to row: only what is kept is copied
		repo, state, version, labels, sigs, ev, title, url sql.RawBytes
		created, updated, closed                           sql.RawBytes
		key                                                []byte
	)
	for rows.Next() {
		var it bugscope.ReportItem
		var comments, reactions int64
		if err := rows.Scan(&repo, &it.Number, &state, &created, &updated, &closed, &comments, &reactions,
			&version, &it.Confidence, &it.Stale, &labels, &sigs, &ev, &title, &url); err != nil {
			return nil, err
		}
		it.Repo, it.State = in.ofBytes(repo), in.ofBytes(state)
		ref := it.Ref()
		it.Comments, it.Reactions = int32(min(comments, 1<<31-1)), int32(min(reactions, 1<<31-1))
		it.Created, it.Updated, it.Closed = unixOf(created), unixOf(updated), unixOf(closed)
		if it.By = versions[string(version)]; it.By == nil {
			it.By = &bugscope.ClassifierID{Name: f.Classifier, Version: string(version)}
			versions[it.By.Version] = it.By
		}
		// Equal label sets pack to equal texts: the set is parsed once.
		if it.Labels = labelSet[string(labels)]; it.Labels == nil {
			l := bugscope.Labels{}
			if err := eachPair(labels, func(dim, val []byte) {
				d := in.ofBytes(dim)
				l[d] = append(l[d], in.ofBytes(val))
			}); err != nil {
				return nil, fmt.Errorf("classification of %s: labels: %w", ref, err)
			}
			labelSet[string(labels)] = l
			it.Labels = l
		}
		if len(sigs) > 0 {
			if err := eachPair(sigs, func(kind, val []byte) {
				key = append(append(append(key[:0], kind...), 0), val...)
				s := signal[string(key)]
				if s == nil {
					s = &bugscope.ReportSignal{Kind: in.ofBytes(kind), Value: string(val)}
					signal[string(key)] = s
				}
				it.Signals = append(it.Signals, s)
			}); err != nil {
				return nil, fmt.Errorf("signals of %s: %w", ref, err)
			}
		}
		if len(ev) > 2 { // not "[]"
			var all []bugscope.Evidence
			if err := json.Unmarshal(ev, &all); err != nil {
				return nil, fmt.Errorf("classification of %s: %w", ref, err)
			}
			n := 0
			for _, e := range all {
				if f.EvidenceOf == "" || e.Dimension == f.EvidenceOf {
					all[n] = e
					n++
				}
			}
			if kept := firstEvidence(all[:n], it.Labels); len(kept) > 0 {
				for i := range kept {
					e := &kept[i]
					e.Dimension, e.Value, e.Rule, e.Field = in.of(e.Dimension), in.of(e.Value), in.of(e.Rule), in.of(e.Field)
				}
				it.Text = &bugscope.ReportText{Title: string(title), URL: string(url), Evidence: kept}
			}
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// unixOf is the bugscope.ReportItem time of a stored time (NULL, empty
// or unreadable: unknown, as parseTime has it).
func unixOf(b sql.RawBytes) int64 {
	if len(b) == 0 {
		return bugscope.NoTime
	}
	t, err := time.Parse(time.RFC3339, string(b))
	if err != nil {
		return bugscope.NoTime
	}
	return t.Unix()
}

// noLabels is the shared, read-only label set of a report item without
// labels.
var noLabels = bugscope.Labels{}

// interner shares repeated strings.
type interner map[string]string

func (in interner) of(s string) string {
	if t, ok := in[s]; ok {
		return t
	}
	in[s] = s
	return s
}

// ofBytes is of for a string in a reused buffer: it is copied only when
// new.
func (in interner) ofBytes(b []byte) string {
	if t, ok := in[string(b)]; ok {
		return t
	}
	s := string(b)
	in[s] = s
	return s
}
