package triage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/taxonomy"
)

// Marker begins bugscope's comment, so that it is found again on GitHub
// (after a crash between posting it and storing its id).
const Marker = "<!-- bugscope-triage -->"

// maxComment bounds the comment (GitHub refuses more than 65,536
// characters).
const maxComment = 60000

// CommentBody renders bugscope's one comment on an issue: the labels, the
// evidence quotes, the definitions and the similar issues. Issue text is
// quoted inert: no markup, no mentions.
func CommentBody(tax *taxonomy.Taxonomy, d Decision, applied []string) string {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	fmt.Fprintf(&b, "**bugscope triage** (%s %s, taxonomy %s)", md(d.Classifier), md(d.ClassifierVersion), md(d.Taxonomy))
	if len(applied) > 0 {
		quoted := make([]string, len(applied))
		for i, l := range applied {
			quoted[i] = "`" + strings.ReplaceAll(l, "`", "'") + "`"
		}
		fmt.Fprintf(&b, ": labelled %s.", strings.Join(quoted, ", "))
	}
	b.WriteString("\n\n| dimension | value | confidence | why |\n|---|---|---:|---|\n")
	for _, p := range d.Proposed {
		why := "no cue"
		var quotes []string
		for _, e := range p.Evidence {
			quotes = append(quotes, quote(e))
		}
		if len(quotes) > 0 {
			why = strings.Join(quotes, "; ")
		}
		fmt.Fprintf(&b, "| %s | %s | %.2f | %s |\n", md(p.Dimension), md(strings.Join(p.Values, ", ")), p.Confidence, why)
	}
	var defs []string
	for _, p := range d.Proposed {
		dim := tax.Dimension(p.Dimension)
		if dim == nil {
			continue
		}
		for _, v := range p.Values {
			if val := dim.Value(v); val != nil && val.Description != "" {
				defs = append(defs, fmt.Sprintf("- **%s** (%s): %s", md(val.ID), md(dim.Name), md(firstSentence(val.Description))))
			}
		}
	}
	if len(defs) > 0 {
		b.WriteString("\n<details><summary>Definitions</summary>\n\n" + strings.Join(defs, "\n") + "\n\n</details>\n")
	}
	if len(d.Similar) > 0 {
		b.WriteString("\n**Similar past issues**\n\n")
		for _, s := range d.Similar {
			fmt.Fprintf(&b, "- %s %s (%s", s.Issue, md(s.Title), md(orUnknown(s.State)))
			if len(s.FixedBy) > 0 {
				var prs []string
				for _, p := range s.FixedBy {
					prs = append(prs, p.String())
				}
				fmt.Fprintf(&b, ", fixed by %s", strings.Join(prs, ", "))
			}
			fmt.Fprintf(&b, "): %s", md(s.Reason))
			if s.Duplicate {
				b.WriteString(" — **likely duplicate**")
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\n<sub>Edited in place when the issue changes. Remove a label to correct bugscope: it will not add it again, and your change is kept as a hand label.</sub>\n")
	s := b.String()
	if len(s) > maxComment {
		s = strings.ToValidUTF8(s[:maxComment], "") + "\n…\n" // cut on a byte boundary, then made valid
	}
	return s
}

// quote renders one piece of evidence: what matched, where.
func quote(e bugscope.Evidence) string {
	switch {
	case e.Note != "":
		return md(e.Note)
	case e.Match != "" && e.Field != "":
		q := e.Match
		if e.Line != "" {
			q = e.Line
		}
		if len(q) > 160 {
			q = q[:160] + "…"
		}
		return fmt.Sprintf("%s: “%s”", md(e.Field), md(q))
	}
	return md(e.Rule)
}

// md makes text inert in a GitHub comment: no markup (safetext.Markdown)
// and no @mentions, which would notify people.
func md(s string) string {
	return strings.ReplaceAll(safetext.Markdown(s), "@", "&#64;")
}

func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "state unknown"
	}
	return s
}

// BodyHash identifies a comment's body, to tell whether an edit changes
// anything.
func BodyHash(body string) string {
	h := sha256.Sum256([]byte(body))
	return hex.EncodeToString(h[:8])
}

// IsOurs reports whether a comment is bugscope's.
func IsOurs(body string) bool { return strings.HasPrefix(body, Marker) }
