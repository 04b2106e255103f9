package learn

import (
	"math"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
)

// against the other classes: x_j·(W_jk - mean_k' W_jk'), largest first.
func (h *Head) contributions(x SparseVec, k, n int) []contribution {
	K := len(h.Classes)
	if K < 2 || n <= 0 {
		return nil
	}
	// The n largest, kept in order as they come (an issue has hundreds of
	// features and a decision quotes three: no sort of them all).
	out := make([]contribution, 0, n)
	for i, j := range x.Idx {
		row := h.dense[int(j)*K : int(j)*K+K]
		mean := 0.0
		for _, w := range row {
			mean += float64(w)
		}
		mean /= float64(K)
		c := float64(x.Val[i]) * (float64(row[k]) - mean) / h.Temperature
		if c <= 0 || len(out) == n && c <= out[n-1].weight {
			continue
		}
		pos := n - 1
		if len(out) < n {
			pos = len(out)
			out = append(out, contribution{})
		}
		for pos > 0 && out[pos-1].weight < c {
			out[pos] = out[pos-1]
			pos--
		}
		out[pos] = contribution{feature: j, weight: c}
	}
	return out
}

type contribution struct {
	feature int32
	weight  float64
}

// described in a note.
func (m *Model) evidence(loc *locator, h *Head, x SparseVec, k int, dim, value string, n int) []bugscope.Evidence {
	var out []bugscope.Evidence
	for _, c := range h.contributions(x, k, n) {
		name := m.Vocab.Names[c.feature]
		e := bugscope.Evidence{Dimension: dim, Value: value, Rule: Name, Weight: math.Round(c.weight*1000) / 1000}
		field, desc := describeFeature(name)
		e.Field = field
		if !loc.find(&e, name) {
			e.Note = "model feature: " + desc
		}
		out = append(out, e)
	}
	return out
}

// describeFeature names the field a feature comes from and says what it
// stands for.
func describeFeature(name string) (field, desc string) {
	prefix, rest, _ := strings.Cut(name, ":")
	switch prefix {
	case "t":
		return "title", "title word(s) \"" + rest + "\""
	case "c":
		return "title", "title characters \"" + rest + "\""
	case "b":
		return "body", "body word(s) \"" + rest + "\""
	case "k":
		return "body", "log or code word(s) \"" + rest + "\""
	case "l":
		return "labels", "label " + rest
	case "s":
		return "signal", "signal " + rest
	case "rule":
		return "rules", "the rules said " + rest
	case "tp":
		if rest == "-" {
			return "title", "no title prefix"
		}
		return "title", "title prefix " + rest
	case "h":
		return "body", "section heading \"" + rest + "\""
	case "r":
		return "repo", "repository " + rest
	case "m":
		return "body", rest
	}
	return "issue", name
}

// locator finds where a feature's text occurs in an issue, for quoting.
type locator struct {
	issue      *bugscope.Issue
	lowerTitle string
	lowerBody  string
}

// find quotes a word feature from the issue into e; it reports whether it
// found it.
func (l *locator) find(e *bugscope.Evidence, name string) bool {
	prefix, rest, _ := strings.Cut(name, ":")
	var text, lower *string
	switch prefix {
	case "t", "c":
		if l.lowerTitle == "" {
			l.lowerTitle = asciiLower(l.issue.Title)
		}
		text, lower = &l.issue.Title, &l.lowerTitle
	case "b", "k":
		if l.lowerBody == "" {
			l.lowerBody = asciiLower(l.issue.Body)
		}
		text, lower = &l.issue.Body, &l.lowerBody
	default:
		return false
	}
	needle := strings.TrimSpace(rest)
	i := strings.Index(*lower, needle)
	if i < 0 && strings.Contains(needle, " ") { // a bigram across punctuation
		needle, _, _ = strings.Cut(needle, " ")
		i = strings.Index(*lower, needle)
	}
	if i < 0 || needle == "" {
		return false
	}
	e.Offset = i
	e.Match = (*text)[i : i+len(needle)]
	e.Line = classify.LineAround(*text, i, i+len(needle))
	return true
}

// asciiLower lower-cases ASCII letters only, keeping byte offsets.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
