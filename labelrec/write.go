package labelrec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/taxonomy"
)

// Write writes records in canonical form, one a line: id, every dimension
// of the taxonomy in its order (null or [] when it has no value), then
// confidence and note when set, then the extras sorted by key. Records are
// written in the order given. The characters a terminal would act on are
// written as \u escapes (safetext.JSON), which read back the same. It checks each record as Read would, so
// that what Write writes Read reads back unchanged; on a bad record it
// writes nothing and returns an error naming it.
func Write(w io.Writer, tax *taxonomy.Taxonomy, recs []Record) error {
	if err := checkTaxonomy(tax); err != nil {
		return err
	}
	var out bytes.Buffer
	seen := map[bugscope.IssueRef]int{}
	for i, r := range recs {
		if j, dup := seen[r.Issue]; dup {
			return fmt.Errorf("record %d: id %s is also record %d", i, r.Issue, j)
		}
		seen[r.Issue] = i
		if err := appendRecord(&out, tax, r); err != nil {
			return fmt.Errorf("record %d (%s): %w", i, r.Issue, err)
		}
	}
	_, err := w.Write(safetext.JSON(out.Bytes()))
	return err
}

func appendRecord(buf *bytes.Buffer, tax *taxonomy.Taxonomy, r Record) error {
	id := r.Issue.String()
	if ref, err := bugscope.ParseIssueRef(id); err != nil || ref != r.Issue {
		return fmt.Errorf("id: %q is not a valid owner/repo#number", id)
	}
	for _, v := range r.Labels {
		seen := map[string]bool{}
		for _, x := range v {
			if x == "" || seen[x] {
				return errors.New("empty or repeated value")
			}
			seen[x] = true
		}
	}
	if err := tax.Check(r.Labels); err != nil {
		return err
	}
	conf, err := canonicalConfidence(r)
	if err != nil {
		return err
	}
	buf.WriteString(`{"id": `)
	appendString(buf, id)
	for _, d := range tax.Dimensions {
		buf.WriteString(", ")
		appendString(buf, d.ID)
		buf.WriteString(": ")
		vals := r.Labels[d.ID]
		switch {
		case d.Multi:
			buf.WriteByte('[')
			for i, v := range vals {
				if i > 0 {
					buf.WriteString(", ")
				}
				appendString(buf, v)
			}
			buf.WriteByte(']')
		case len(vals) == 0:
			buf.WriteString("null")
		default:
			appendString(buf, vals[0])
		}
	}
	if conf != "" {
		buf.WriteString(`, "confidence": `)
		if conf == High || conf == Low {
			appendString(buf, conf)
		} else {
			buf.WriteString(conf)
		}
	}
	if r.Note != "" {
		buf.WriteString(`, "note": `)
		appendString(buf, r.Note)
	}
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !IsExtraKey(k) || tax.Dimension(k) != nil {
			return fmt.Errorf("extra key %q is not allowed", k)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, r.Extra[k]); err != nil {
			return fmt.Errorf("extra key %q: %w", k, err)
		}
		buf.WriteString(", ")
		appendString(buf, k)
		buf.WriteString(": ")
		buf.Write(c.Bytes())
	}
	buf.WriteString("}\n")
	return nil
}

// canonicalConfidence returns the confidence as written: "high", "low", a
// JSON number, or "" for none.
func canonicalConfidence(r Record) (string, error) {
	if r.ConfidenceValue != nil {
		f := *r.ConfidenceValue
		if !(f >= 0 && f <= 1) {
			return "", fmt.Errorf("confidence %v is outside 0..1", f)
		}
		if f == 0 {
			f = 0
		}
		return formatConfidence(f), nil
	}
	switch r.Confidence {
	case "", High, Low:
		return r.Confidence, nil
	}
	f, err := strconv.ParseFloat(r.Confidence, 64)
	if err != nil || !(f >= 0 && f <= 1) {
		return "", fmt.Errorf(`confidence %q: want "high", "low" or a number in 0..1`, r.Confidence)
	}
	if f == 0 {
		f = 0
	}
	return formatConfidence(f), nil
}

// appendString writes s as a JSON string without escaping <, > and &,
// which are common in notes and harmless outside HTML.
func appendString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode's newline
}
