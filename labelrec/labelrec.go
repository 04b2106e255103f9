// Package labelrec reads and writes label records: the JSON Lines format in
// which raters and classifiers hand over their labels, one issue a line.
//
// A record is one JSON object:
//
//	{"id": "vllm-project/vllm#21170", "kind": "bug", "category": "memory.leak",
//	 "root_cause": "state_management", "severity": "P1", "patterns": ["paged_attention"],
//	 "confidence": "high", "note": "KV blocks not released after a transfer timeout"}
//
// id is owner/repo#number. Every other key but confidence and note is a
// dimension of the taxonomy the file is read with: a single-valued
// dimension is a string or null, a multi-valued one an array of strings
// ([] when empty). confidence is "high" or "low" (a rater) or a number in
// 0..1 (a classifier). note is a free-text string.
//
// Reading is strict where a slip would silently change the data, and
// lenient where the meaning is plain:
//   - unknown keys are errors (a typo like "catgory" would otherwise drop
//     a label), except the extras in ExtraKeys and keys starting with "x_",
//     which are kept in Record.Extra;
//   - a key given twice in one object, an id given on two lines, a value
//     the taxonomy does not know, two values for a single-valued dimension
//     and a value for a dimension that does not apply (a category on a
//     feature request) are errors;
//   - a dimension left out means no value, like null or [];
//   - a single-valued dimension may be given as an array of at most one
//     string, and a multi-valued one as a bare string or null: tools that
//     write every dimension as an array, or a rater who types one pattern
//     without brackets, mean the same labels. Write puts them back in the
//     canonical form;
//   - blank lines are skipped; a UTF-8 byte-order mark and CRLF line ends
//     are accepted.
//
// Errors name the file, the line and the key. Read reports every bad line
// (up to a limit), not only the first.
package labelrec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// Confidence levels a rater gives.
const (
	High = "high"
	Low  = "low"
)

// Keys of a record besides the taxonomy's dimensions.
const (
	KeyID         = "id"
	KeyConfidence = "confidence"
	KeyNote       = "note"
)

// ExtraKeys are the keys Read keeps in Record.Extra rather than rejecting:
// provenance that tools and raters commonly add. Keys starting with "x_"
// are kept too.
var ExtraKeys = []string{"classifier", "rater", "taxonomy", "title", "url"}

// IsExtraKey reports whether Read keeps key in Record.Extra.
func IsExtraKey(key string) bool {
	if strings.HasPrefix(key, "x_") && len(key) > 2 {
		return true
	}
	for _, k := range ExtraKeys {
		if k == key {
			return true
		}
	}
	return false
}

// Record is one issue's labels.
type Record struct {
	Issue bugscope.IssueRef
	// Labels holds only the dimensions that have a value; a dimension
	// with none is absent.
	Labels bugscope.Labels
	// Confidence is "high", "low", a number formatted as in the file's
	// canonical form (then ConfidenceValue holds it), or "" when not given.
	Confidence      string
	ConfidenceValue *float64
	Note            string
	// Extra holds the allowed extra keys with their values, compacted.
	Extra map[string]json.RawMessage
}

// maxErrors bounds how many bad lines Read reports.
const maxErrors = 20

// Read reads label records from r and checks each against the taxonomy;
// name is used in error messages (a file name, or "-"). On any error it
// returns no records and an error listing the bad lines.
func Read(r io.Reader, name string, tax *taxonomy.Taxonomy) ([]Record, error) {
	if err := checkTaxonomy(tax); err != nil {
		return nil, bugscope.WithKind(bugscope.EInvalid, err)
	}
	br := bufio.NewReader(r)
	var (
		recs   []Record
		errs   []error
		more   int
		seenAt = map[bugscope.IssueRef]int{}
	)
	fail := func(line int, err error) {
		if len(errs) < maxErrors {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, line, err))
		} else {
			more++
		}
	}
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			if line == 1 {
				b = bytes.TrimPrefix(b, []byte("\uFEFF"))
			}
			if len(bytes.TrimSpace(b)) > 0 {
				rec, lerr := parseLine(b, tax)
				if lerr != nil {
					for _, e := range unjoin(lerr) {
						fail(line, e)
					}
				} else if first, dup := seenAt[rec.Issue]; dup {
					fail(line, fmt.Errorf("id %s is also on line %d", rec.Issue, first))
				} else {
					seenAt[rec.Issue] = line
					recs = append(recs, rec)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if more > 0 {
		errs = append(errs, fmt.Errorf("%s: %d more errors", name, more))
	}
	if len(errs) > 0 {
		return nil, bugscope.WithKind(bugscope.EInvalid, errors.Join(errs...))
	}
	return recs, nil
}

// ReadFile reads a label-record file. Malformed records are an EInvalid
// error naming the file and line of each (up to a bound); a missing file
// is an ENotFound one.
func ReadFile(path string, tax *taxonomy.Taxonomy) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path, tax)
}

// LabelMap indexes records' labels by issue, the form metrics.Compare takes.
func LabelMap(recs []Record) map[bugscope.IssueRef]bugscope.Labels {
	m := make(map[bugscope.IssueRef]bugscope.Labels, len(recs))
	for _, r := range recs {
		m[r.Issue] = r.Labels
	}
	return m
}

// Unlabelled lists the single-valued dimensions that apply to an issue
// with labels l but have no value, in taxonomy order: a gold record with a
// bug but no severity, say. Read accepts such records (a first pass may
// label kind only); a caller that wants complete gold can reject them.
func Unlabelled(tax *taxonomy.Taxonomy, l bugscope.Labels) []string {
	var out []string
	for _, d := range tax.Dimensions {
		if !d.Multi && len(l[d.ID]) == 0 && tax.Applies(d, l) {
			out = append(out, d.ID)
		}
	}
	return out
}

// checkTaxonomy refuses a taxonomy whose dimension ids clash with the
// record's own keys, which would make a line ambiguous.
func checkTaxonomy(tax *taxonomy.Taxonomy) error {
	if tax == nil {
		return errors.New("labelrec: no taxonomy")
	}
	for _, d := range tax.Dimensions {
		if d.ID == KeyID || d.ID == KeyConfidence || d.ID == KeyNote {
			return fmt.Errorf("labelrec: taxonomy %s has a dimension %q, which is a record field", tax.Name, d.ID)
		}
	}
	return nil
}

// parseLine decodes one record. It walks the object key by key so that it
// can refuse duplicate keys, which encoding/json would silently merge.
func parseLine(line []byte, tax *taxonomy.Taxonomy) (Record, error) {
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(line))
	tok, err := dec.Token()
	if err != nil {
		return rec, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return rec, errors.New("not a JSON object")
	}
	raw := map[string]json.RawMessage{}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return rec, fmt.Errorf("not JSON: %w", err)
		}
		key := tok.(string) // inside an object the decoder only yields string keys
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			if err == io.EOF {
				err = errors.New("the line ends inside the object")
			}
			return rec, fmt.Errorf("%s: not JSON: %w", key, err)
		}
		if _, dup := raw[key]; dup {
			return rec, fmt.Errorf("key %q given twice", key)
		}
		raw[key] = v
		keys = append(keys, key)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		if err == io.EOF {
			err = errors.New("the line ends inside the object")
		}
		return rec, fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return rec, errors.New("more than one JSON value on the line")
	}

	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}

	// id first: without it the rest of the line is of little use.
	idRaw, ok := raw[KeyID]
	if !ok {
		return rec, errors.New("id: missing")
	}
	var id string
	if err := json.Unmarshal(idRaw, &id); err != nil {
		return rec, fmt.Errorf("id: want a string owner/repo#number, got %s", idRaw)
	}
	ref, err := bugscope.ParseIssueRef(id)
	if err != nil {
		return rec, fmt.Errorf("id: %w", err)
	}
	rec.Issue = ref

	rec.Labels = bugscope.Labels{}
	for _, key := range keys {
		v := raw[key]
		switch {
		case key == KeyID:
		case key == KeyConfidence:
			c, val, err := parseConfidence(v)
			if err != nil {
				bad(key, "%v", err)
			}
			rec.Confidence, rec.ConfidenceValue = c, val
		case key == KeyNote:
			var note *string
			if err := json.Unmarshal(v, &note); err != nil {
				bad(key, "want a string, got %s", v)
			} else if note != nil {
				rec.Note = *note
			}
		case tax.Dimension(key) != nil:
			vals, err := parseValues(v, tax.Dimension(key).Multi)
			if err != nil {
				bad(key, "%v", err)
			} else if len(vals) > 0 {
				rec.Labels[key] = vals
			}
		case IsExtraKey(key):
			if rec.Extra == nil {
				rec.Extra = map[string]json.RawMessage{}
			}
			rec.Extra[key] = compact(v)
		default:
			hint := ""
			if s := suggest(key, tax); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			bad(key, "unknown key%s; a record has id, the dimensions of taxonomy %s, confidence, note, and the extras %s or x_*",
				hint, tax.Name, strings.Join(ExtraKeys, ", "))
		}
	}
	if len(errs) == 0 {
		if err := tax.Check(rec.Labels); err != nil {
			errs = append(errs, unjoin(err)...)
		}
	}
	return rec, errors.Join(errs...)
}

// parseValues reads a dimension's value: a string, null, or an array of
// strings; see the package comment for what each dimension accepts.
func parseValues(v json.RawMessage, multi bool) ([]string, error) {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return nil, err
	}
	var vals []string
	switch t := x.(type) {
	case nil:
		return nil, nil
	case string:
		vals = []string{t}
	case []any:
		for _, e := range t {
			s, ok := e.(string)
			if !ok && multi {
				return nil, fmt.Errorf("want an array of strings, got %s", v)
			} else if !ok {
				return nil, fmt.Errorf("want a string or null, got %s", v)
			}
			vals = append(vals, s)
		}
	default:
		if multi {
			return nil, fmt.Errorf("want an array of strings, got %s", v)
		}
		return nil, fmt.Errorf("want a string or null, got %s", v)
	}
	seen := map[string]bool{}
	for _, s := range vals {
		if s == "" {
			return nil, errors.New(`empty value ""; leave the dimension out, or use null or []`)
		}
		if seen[s] {
			return nil, fmt.Errorf("value %q given twice", s)
		}
		seen[s] = true
	}
	// More than one value for a single dimension is left to tax.Check,
	// whose message says so.
	return vals, nil
}

// parseConfidence reads "high", "low", a number in 0..1, or null.
func parseConfidence(v json.RawMessage) (string, *float64, error) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", nil, err
		}
		if s != High && s != Low {
			return "", nil, fmt.Errorf(`want "high", "low" or a number in 0..1, got %q`, s)
		}
		return s, nil, nil
	}
	if string(v) == "null" {
		return "", nil, nil
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return "", nil, fmt.Errorf(`want "high", "low" or a number in 0..1, got %s`, v)
	}
	if !(f >= 0 && f <= 1) {
		return "", nil, fmt.Errorf("%s is outside 0..1", v)
	}
	if f == 0 {
		f = 0 // no -0
	}
	return formatConfidence(f), &f, nil
}

func formatConfidence(f float64) string {
	b, _ := json.Marshal(f) // f is finite
	return string(b)
}

func compact(v json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return append(json.RawMessage(nil), v...)
	}
	return buf.Bytes()
}

// unjoin splits an errors.Join error so that each part gets its own
// file:line prefix.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// suggest finds the known key closest to an unknown one: same letters in
// another case, or at most two edits away.
func suggest(key string, tax *taxonomy.Taxonomy) string {
	known := []string{KeyID, KeyConfidence, KeyNote}
	for _, d := range tax.Dimensions {
		known = append(known, d.ID)
	}
	known = append(known, ExtraKeys...)
	sort.Strings(known)
	best, bestD := "", 3
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k
		}
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return math.MaxInt // keys that long are no typo of ours
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
