package github

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/bugscope/bugscope"
)

// closingRef matches GitHub's closing keywords followed by an issue: "Fixes
// #12", "closes: owner/repo#12", "Resolved https://github.com/o/r/issues/12".
// As on GitHub, each issue needs its own keyword ("Fixes #1, #2" closes #1
// only). GitHub does not link a number with a leading zero (#01), so
// neither does this.
var closingRef = regexp.MustCompile(`(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?[ \t]+` +
	`(?:([a-z0-9][a-z0-9-]*/[a-z0-9._-]+)?#([1-9][0-9]{0,9})\b|` +
	`https?://[a-z0-9.-]+(?::[0-9]+)?/([a-z0-9][a-z0-9-]*/[a-z0-9._-]+)/(?:issues|pull)/([1-9][0-9]{0,9})\b)`)

// maxRefs bounds the references taken from one description.
const maxRefs = 50

// ClosingRefs returns the issues a pull request's description closes, in
// order of appearance, without repeats. A reference without a repository
// is to repo; one to another spelling of repo (case) is given as repo.
// Keywords inside code (fenced blocks, inline spans) and HTML comments —
// where pull-request templates keep their examples — do not count, as
// they do not on GitHub.
func ClosingRefs(body, repo string) []bugscope.IssueRef {
	text := stripInert(bound(body))
	var out []bugscope.IssueRef
	seen := map[bugscope.IssueRef]bool{}
	for _, m := range closingRef.FindAllStringSubmatch(text, -1) {
		r, num := m[1], m[2]
		if num == "" {
			r, num = m[3], m[4]
		}
		if r == "" || strings.EqualFold(r, repo) {
			r = repo
		}
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 || n > 1<<31-1 {
			continue
		}
		if bugscope.ValidateRepo(r) != nil {
			continue
		}
		ref := bugscope.IssueRef{Repo: r, Number: n}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		out = append(out, ref)
		if len(out) == maxRefs {
			break
		}
	}
	return out
}

// stripInert blanks what GitHub does not read as text: HTML comments,
// fenced code blocks and inline code spans. Blanked text becomes spaces,
// so that words on either side stay apart.
func stripInert(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	fence := ""
	for line := range strings.Lines(s) {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			b.WriteByte('\n')
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			b.WriteByte('\n')
			continue
		}
		b.WriteString(line)
	}
	s = b.String()
	b.Reset()
	for {
		i := strings.Index(s, "<!--")
		j := strings.IndexByte(s, '`')
		switch {
		case i < 0 && j < 0:
			b.WriteString(s)
			return b.String()
		case i >= 0 && (j < 0 || i < j):
			b.WriteString(s[:i])
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				return b.String()
			}
			b.WriteByte(' ')
			s = s[i+4+end+3:]
		default:
			b.WriteString(s[:j])
			end := strings.IndexByte(s[j+1:], '`')
			if end < 0 {
				b.WriteString(s[j:])
				return b.String()
			}
			b.WriteByte(' ')
			s = s[j+1+end+1:]
		}
	}
}
