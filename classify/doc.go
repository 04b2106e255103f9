package classify

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/bugscope/bugscope"
)

// Regions of a report that rules can look at. Issue templates split a body
// into sections; checklists and instructions are boilerplate that every
// report repeats, and environment dumps name GPUs, NCCL and CUDA whatever the
// bug is, so rules must be able to tell them apart from the description.
// Within the description, command lines (and launch flags and URLs inside
// prose), traceback frames and pasted data objects are regions of their
// own, and error lines are marked wherever they are: a rule names the
// regions where its evidence can be.
const (
	RegionTitle = "title" // the title
	RegionText  = "text"  // prose of the description sections
	RegionLog   = "log"   // output lines of code blocks of the description sections
	RegionEnv   = "env"   // environment and version sections
	RegionCmd   = "cmd"   // command lines, launch flags and URLs
	RegionFrame = "frame" // traceback frames and their source lines
	RegionData  = "data"  // pasted objects: JSON, reprs of responses, key=value dumps
	RegionError = "error" // error lines of the prose and the logs
	RegionBody  = "body"  // text and log together (a shorthand in rule files)
)

// Bounds on the text a rule looks at: the first and the last part of a body,
// since logs end in the error. Keeps the cost flat on multi-megabyte bodies.
const (
	scanHead = 256 << 10
	scanTail = 64 << 10
)

// span is a byte range of the title or the body, with what it holds: the
// section's region (text, log or env), the kind of its lines (prose,
// command, frame, data) and whether they are error lines.
type span struct {
	start, end int
	base       string // RegionText, RegionLog or RegionEnv
	kind       int    // lineProse, lineCommand, lineFrame, lineData
	err        bool
}

// region is the region rules see the span in (error lines are marked
// apart, by err).
func (s span) region() string {
	if s.base == RegionEnv {
		return RegionEnv
	}
	switch s.kind {
	case lineCommand:
		return RegionCmd
	case lineFrame:
		return RegionFrame
	case lineData:
		return RegionData
	case lineOutput:
		return RegionLog
	}
	return s.base
}

// document is an issue prepared for rule matching.
type document struct {
	issue    *bugscope.Issue
	spans    []span            // body regions, ordered ranges of issue.Body
	headings []string          // normalised section headings present
	labels   map[string]string // lower-cased label -> label as written
}

// sectionRoles maps normalised heading prefixes to what the section holds.
type sectionRoles struct {
	boilerplate []string
	environment []string
}

func (r sectionRoles) role(heading string) string {
	for _, p := range r.boilerplate {
		if headingMatches(heading, p) {
			return "boilerplate"
		}
	}
	for _, p := range r.environment {
		if headingMatches(heading, p) {
			return RegionEnv
		}
	}
	return ""
}

// headingMatches reports whether a normalised heading begins with pattern,
// or, when pattern ends in "$", is exactly the rest of it. Short names that
// templates use as a whole heading (Ollama's and ExLlamaV2's "OS", "GPU",
// TGI's "Tasks") would, as prefixes, also take in the sections of reports
// that begin "GPU test" or "Tasks for the next release".
func headingMatches(heading, pattern string) bool {
	if exact, ok := strings.CutSuffix(pattern, "$"); ok {
		return heading == exact
	}
	return strings.HasPrefix(heading, pattern)
}

// prepare splits the body into regions (see split), within the scanned
// part of a long body.
func prepare(is *bugscope.Issue, roles sectionRoles) *document {
	d := &document{issue: is, labels: map[string]string{}}
	for _, l := range is.Labels {
		d.labels[strings.ToLower(strings.TrimSpace(l))] = l
	}
	var spans []span
	spans, d.headings = split(is.Body, roles)
	d.spans = clip(spans, len(is.Body))
	return d
}

// split splits a body into spans (see span) and lists its section
// headings. It walks the body line by line, tracking code fences (a "#"
// inside a fence is a comment, not a heading) and HTML comments (template
// instructions), and assigns every line to the region of the section it is
// in; it leaves out boilerplate sections and informational log lines.
func split(body string, roles sectionRoles) ([]span, []string) {
	var spans []span
	var headings []string
	section := "" // role of the current section
	fence := ""   // the fence marker when inside a code block
	inComment := false
	prevKind, prevLine := lineProse, ""
	add := func(base string, fenced bool, s span) {
		if s.end <= s.start {
			return
		}
		raw := strings.TrimRight(body[s.start:s.end], "\r\n")
		line, errLevel := stripLogPrefix(raw)
		s.base = base
		if base != RegionEnv {
			s.kind = lineKind(line, prevKind, prevLine, fenced)
			if s.kind == lineProse && !fenced && len(line) < len(raw) {
				s.kind = lineOutput // a logger's prefix: output pasted into prose
			}
			s.err = s.kind != lineCommand && s.kind != lineFrame && (errLevel || isErrorLine(line))
		}
		prevKind, prevLine = s.kind, line
		if n := len(spans); n > 0 && spans[n-1].end == s.start && spans[n-1].base == s.base && spans[n-1].kind == s.kind && spans[n-1].err == s.err {
			spans[n-1].end = s.end // merge adjacent lines
			return
		}
		spans = append(spans, s)
	}
	for pos := 0; pos < len(body); {
		end := strings.IndexByte(body[pos:], '\n')
		if end < 0 {
			end = len(body)
		} else {
			end += pos + 1
		}
		line := body[pos:end]
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
				prevKind, prevLine = lineProse, ""
			} else if section != "boilerplate" && !isInfoLine(line) {
				base := RegionLog
				if section == RegionEnv {
					base = RegionEnv
				}
				add(base, true, span{start: pos, end: end})
			}
		case inComment:
			if i := strings.Index(line, "-->"); i >= 0 {
				inComment = false
				if section != "boilerplate" {
					add(regionOf(section), false, span{start: pos + i + 3, end: end})
				}
			}
		case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
			prevKind, prevLine = lineProse, ""
		case strings.HasPrefix(trimmed, "#"):
			if h, ok := headingText(trimmed); ok {
				headings = append(headings, h)
				section = roles.role(h)
				break
			}
			if section != "boilerplate" {
				add(regionOf(section), false, span{start: pos, end: end})
			}
		case strings.HasPrefix(trimmed, "<!--"):
			start := strings.Index(line, "<!--")
			if i := strings.Index(line[start:], "-->"); i >= 0 {
				if section != "boilerplate" {
					add(regionOf(section), false, span{start: pos + start + i + 3, end: end})
				}
			} else {
				inComment = true
			}
		case isUncheckedBox(trimmed):
			// An option of a template's checklist that the reporter did
			// not pick says nothing about the report.
		case section != "boilerplate" && !isInfoLine(line):
			add(regionOf(section), false, span{start: pos, end: end})
		}
		pos = end
	}
	return spans, headings
}

// Template tells the sections of issue templates apart by their headings:
// which are boilerplate (left out) and which environment dumps.
type Template struct {
	roles sectionRoles
}

// NewTemplate returns the Template of a rule file's sections.
func NewTemplate(c SectionConfig) Template {
	return Template{sectionRoles{boilerplate: normaliseAll(c.Boilerplate), environment: normaliseAll(c.Environment)}}
}

// BuiltinTemplate is how the built-in rules read the engines' issue
// templates (the sections of rules/common.yaml).
var BuiltinTemplate = sync.OnceValue(func() Template {
	b, err := readBuiltinFragment("common")
	if err != nil {
		panic(err)
	}
	f, err := decodeRuleFile(b, "builtin:common")
	if err != nil {
		panic(err)
	}
	return NewTemplate(f.Sections)
})

// Body is an issue body as the rule classifier reads it, region by region.
type Body struct {
	Text     string   // prose of the description sections
	Log      string   // their code blocks and logs
	Env      string   // the environment sections
	Headings []string // the section headings, normalised, in order
}

// Read splits an issue body as the rule classifier does: boilerplate
// sections, HTML comments and informational log lines are left out. Text
// holds every line of prose, Log every line of a code block (commands,
// frames and data included). Of a
// body longer than head+tail bytes only the first head and the last tail
// bytes are read.
func (t Template) Read(body string, head, tail int) Body {
	spans, headings := split(body, t.roles)
	spans = clipTo(spans, len(body), head, tail)
	text := func(base string) string {
		var b strings.Builder
		last := -1
		for _, s := range spans {
			if s.base != base {
				continue
			}
			if b.Len() > 0 && s.start != last {
				b.WriteByte('\n')
			}
			b.WriteString(body[s.start:s.end])
			last = s.end
		}
		return b.String()
	}
	return Body{Text: text(RegionText), Log: text(RegionLog), Env: text(RegionEnv), Headings: headings}
}

// isUncheckedBox: "- [ ] Flaky test", a checklist item left unticked.
func isUncheckedBox(t string) bool {
	return (strings.HasPrefix(t, "- [ ]") || strings.HasPrefix(t, "* [ ]")) && len(t) > 5
}

func regionOf(section string) string {
	if section == RegionEnv {
		return RegionEnv
	}
	return RegionText
}

// headingText returns the normalised text of a Markdown ATX heading line:
// lower case, without leading emoji or punctuation.
func headingText(line string) (string, bool) {
	level := 0
	for level < len(line) && line[level] == '#' {
		level++
	}
	if level > 6 || level == len(line) || line[level] != ' ' && line[level] != '\t' {
		return "", false
	}
	return normaliseHeading(line[level:]), true
}

func normaliseHeading(h string) string {
	h = strings.TrimLeftFunc(h, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	h = strings.TrimRight(strings.ToLower(h), " \t\r:.#*")
	return h
}

// clip restricts spans to the scanned part of a body: the first scanHead and
// the last scanTail bytes.
func clip(spans []span, n int) []span { return clipTo(spans, n, scanHead, scanTail) }

// clipTo restricts spans to the first head and the last tail bytes of a
// body of n bytes.
func clipTo(spans []span, n, head, tail int) []span {
	if n <= head+tail {
		return spans
	}
	var out []span
	windows := []span{{start: 0, end: head}, {start: n - tail, end: n}}
	for _, s := range spans {
		for _, w := range windows {
			a, b := max(s.start, w.start), min(s.end, w.end)
			if a < b {
				c := s
				c.start, c.end = a, b
				out = append(out, c)
			}
		}
	}
	return out
}

// excerpt returns the matched text[start:end] for evidence, bounded.
func excerpt(text string, start, end int) string { return bounded(text, start, end, 120) }

// bounded returns text[start:end] cut to maxLen bytes and widened to rune
// boundaries, with invalid UTF-8 replaced.
func bounded(text string, start, end, maxLen int) string {
	if end-start > maxLen {
		end = start + maxLen
	}
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	return strings.ToValidUTF8(text[start:end], "\uFFFD")
}

// isInfoLine reports whether a log line is an informational or warning
// message ("INFO 01-20 ...", "WARNING ...", glog's "[W0120 ...]", PyTorch's "[W socket.cpp:663]"). Engines
// log "to avoid OOM, ..." and "custom allreduce is disabled" at start-up
// whatever the bug is; such lines are not the error and rules skip them.
func isInfoLine(line string) bool {
	head := line
	if len(head) > 100 {
		head = head[:100]
	}
	i := strings.Index(head, "INFO")
	if i < 0 {
		i = strings.Index(head, "WARN")
	}
	if i < 0 {
		i = strings.Index(head, "DEBUG")
	}
	if i < 0 {
		for j := 0; j+2 < len(head); j++ {
			if head[j] == '[' && (head[j+1] == 'W' || head[j+1] == 'I') && (head[j+2] >= '0' && head[j+2] <= '9' || head[j+2] == ' ') {
				i = j + 1
				break
			}
		}
	}
	if i < 0 || i > 0 && isWordByte(head[i-1]) {
		return false
	}
	return !strings.Contains(line, "Error") && !strings.Contains(line, "ERROR") && !strings.Contains(line, "error")
}

// LineAround returns the line of text that holds text[start:end], trimmed
// and bounded to 200 bytes around the match (valid UTF-8), for quoting as
// evidence.
func LineAround(text string, start, end int) string {
	const maxLen = 200
	a := strings.LastIndexByte(text[:start], '\n') + 1
	b := strings.IndexByte(text[end:], '\n')
	if b < 0 {
		b = len(text)
	} else {
		b += end
	}
	if b-a > maxLen {
		// Keep the match in view: centre the window on it.
		a = max(a, start-max(0, maxLen-(end-start))/2)
		b = min(b, a+maxLen)
	}
	return strings.TrimSpace(bounded(text, a, b, maxLen))
}

// lineWindow returns the line around offset pos and the line after it,
// within span s: where a prefilter literal enables a regex.
// Windows are bounded to a few hundred bytes each side: a log can be one
// huge line.
func lineWindow(text string, pos int, s span) (int, int) {
	const reach = 400
	lo := max(s.start, pos-reach)
	a := strings.LastIndexByte(text[lo:pos], '\n') + 1 + lo
	b := pos
	hi := min(s.end, pos+reach)
	for lines := 0; lines < 2 && b < hi; lines++ {
		i := strings.IndexByte(text[b:hi], '\n')
		if i < 0 {
			b = hi
			break
		}
		b += i + 1
	}
	return a, b
}
