package safetext

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// Markdown makes untrusted text inert in Markdown, on one line: it is made
// safe for a terminal (Line), then no links, images, emphasis, code, HTML
// or table breaks. It escapes only what can start markup, so that the
// text stays readable.
func Markdown(s string) string {
	rs := []rune(strings.TrimSpace(Line(s))) // so that a leading # is at 0
	var b strings.Builder
	word := func(i int) bool {
		return i >= 0 && i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i]))
	}
	for i, r := range rs {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			// Only an entity-like sequence needs escaping.
			if word(i+1) || i+1 < len(rs) && rs[i+1] == '#' {
				b.WriteString("&amp;")
			} else {
				b.WriteRune(r)
			}
		case '_':
			// Intra-word underscores never make emphasis (snake_case names).
			if word(i-1) && word(i+1) {
				b.WriteRune(r)
			} else {
				b.WriteString("\\_")
			}
		case '\\', '`', '*', '[', ']', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '#':
			if i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// MarkdownLink writes a Markdown link with text escaped by Markdown and
// everything in the URL that could end it or break out of it (spaces,
// brackets, parentheses, quotes, controls) percent-encoded. With an
// empty URL it writes the text alone.
func MarkdownLink(text, u string) string {
	text = Markdown(text)
	if u == "" {
		return text
	}
	return "[" + text + "](" + markdownURL(u) + ")"
}

func markdownURL(u string) string {
	var b strings.Builder
	for _, c := range []byte(u) {
		switch {
		case c <= ' ' || c >= 0x7f || strings.IndexByte(`<>()[]\"'`+"`", c) >= 0:
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// IssueURL returns the web address of issue number of repo to link to.
// A stored address (an issue's html_url, which comes from the dump or the
// server) is used only when it is exactly https://HOST/OWNER/REPO/issues/N
// or .../pull/N for this repository and number, with HOST github.com or
// one of hosts (GitHub Enterprise); anything else (another host, a
// look-alike such as github.com.evil.example, credentials, a query, a
// fragment, a scheme other than https) gives the address on github.com
// built from the repository and number. It returns "" when repo is not a
// plain owner/name, so that nothing is linked.
func IssueURL(repo string, number int, stored string, hosts ...string) string {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || !plainName(owner) || !plainName(name) || number <= 0 {
		return ""
	}
	n := strconv.Itoa(number)
	if u, err := url.Parse(stored); err == nil && u.Scheme == "https" && u.User == nil && u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery && u.Opaque == "" {
		host := strings.ToLower(u.Host)
		allowed := host == "github.com"
		for _, h := range hosts {
			allowed = allowed || h != "" && host == strings.ToLower(h)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if allowed && len(segs) == 5 && segs[0] == "" && strings.EqualFold(segs[1], owner) && strings.EqualFold(segs[2], name) &&
			(segs[3] == "issues" || segs[3] == "pull") && segs[4] == n {
			return "https://" + host + "/" + segs[1] + "/" + segs[2] + "/" + segs[3] + "/" + n
		}
	}
	return "https://github.com/" + owner + "/" + name + "/issues/" + n
}

// plainName reports whether s is an owner or repository name as GitHub
// allows them: letters, digits, '-', '_' and '.', not "." or "..".
func plainName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
