package http

import (
	"html"
	"html/template"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bugscope/bugscope"
)

// span is a marked range of a text: [Start, End) bytes, with what marks it.
type span struct {
	Start, End int
	Notes      []string
}

// evidenceSpans returns the ranges of field's text that evidence quotes,
// merged where they overlap. An offset that does not point at the match
// (text changed since) is looked up near it, else dropped.
func evidenceSpans(text, field string, evs []bugscope.Evidence, classifier string) []span {
	var spans []span
	for _, e := range evs {
		if e.Field != field || e.Match == "" {
			continue
		}
		start := e.Offset
		if start < 0 || start+len(e.Match) > len(text) || !strings.EqualFold(text[start:start+len(e.Match)], e.Match) {
			i := strings.Index(strings.ToLower(text), strings.ToLower(e.Match))
			if i < 0 {
				continue
			}
			start = i
		}
		spans = append(spans, span{Start: start, End: start + len(e.Match),
			Notes: []string{classifier + ": " + e.Dimension + "=" + e.Value + " (rule " + e.Rule + ")"}})
	}
	return mergeSpans(spans)
}

func mergeSpans(spans []span) []span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start < spans[j].Start })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.Start < out[n-1].End {
			if s.End > out[n-1].End {
				out[n-1].End = s.End
			}
			out[n-1].Notes = append(out[n-1].Notes, s.Notes...)
			continue
		}
		out = append(out, s)
	}
	return out
}

// markText escapes text and wraps the spans in <mark> elements whose
// title says what they are evidence of: escaping first, then marking, so
// the text cannot open an element of its own.
func markText(text string, spans []span, limit int) template.HTML {
	if len(text) > limit {
		text = strings.ToValidUTF8(text[:limit], "")
	}
	var b strings.Builder
	pos := 0
	for _, s := range spans {
		if s.Start < pos || s.End > len(text) {
			continue
		}
		if !utf8.RuneStart(text[s.Start]) || s.End < len(text) && !utf8.RuneStart(text[s.End]) {
			continue
		}
		b.WriteString(html.EscapeString(text[pos:s.Start]))
		b.WriteString(`<mark title="` + html.EscapeString(strings.Join(dedupe(s.Notes), "; ")) + `">`)
		b.WriteString(html.EscapeString(text[s.Start:s.End]))
		b.WriteString("</mark>")
		pos = s.End
	}
	b.WriteString(html.EscapeString(text[pos:]))
	return template.HTML(b.String()) //nolint:gosec // every piece of text is escaped
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Segment is a piece of a passage: text, and whether it matched the query.
type Segment struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// passage returns the part of text around the first words of the query,
// about width bytes, as segments with the query's words marked; nil when
// no word occurs (a match in the title only).
func passage(text string, terms []string, width int) []Segment {
	lower := strings.ToLower(text)
	type hit struct{ start, end int }
	var hits []hit
	first := -1
	for _, t := range terms {
		w, prefix := strings.CutSuffix(t, "*")
		for i := 0; i < len(lower); {
			j := strings.Index(lower[i:], w)
			if j < 0 {
				break
			}
			s := i + j
			e := s + len(w)
			if wordAt(lower, s, e, prefix) {
				if prefix {
					for e < len(lower) && isWordByte(lower[e]) {
						e++
					}
				}
				hits = append(hits, hit{s, e})
				if first < 0 || s < first {
					first = s
				}
			}
			i = s + len(w)
		}
	}
	if first < 0 {
		return nil
	}
	from := first - width/3
	if from < 0 {
		from = 0
	}
	to := from + width
	if to > len(text) {
		to = len(text)
	}
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
	var segs []Segment
	pos := from
	if from > 0 {
		segs = append(segs, Segment{Text: "…"})
	}
	for _, h := range hits {
		if h.start < pos || h.end > to {
			continue
		}
		if h.start > pos {
			segs = append(segs, Segment{Text: oneLine(text[pos:h.start])})
		}
		segs = append(segs, Segment{Text: text[h.start:h.end], Match: true})
		pos = h.end
	}
	if pos < to {
		segs = append(segs, Segment{Text: oneLine(text[pos:to])})
	}
	if to < len(text) {
		segs = append(segs, Segment{Text: "…"})
	}
	return segs
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// wordAt: lower[s:e] is a whole word (or, for a prefix, starts one).
func wordAt(lower string, s, e int, prefix bool) bool {
	if s > 0 && isWordByte(lower[s-1]) {
		return false
	}
	return prefix || e >= len(lower) || !isWordByte(lower[e])
}

// oneLine collapses runs of white space to one space, keeping a space at
// either end.
func oneLine(s string) string {
	out := strings.Join(strings.Fields(s), " ")
	if out == "" {
		if s != "" {
			return " "
		}
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
		out = " " + out
	}
	if r, _ := utf8.DecodeLastRuneInString(s); unicode.IsSpace(r) {
		out += " "
	}
	return out
}
