package sqlite

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
)

// jsonContentHash is the content hash as earlier versions computed it,
// with json.Marshal: the hashes they stored must still match.
func jsonContentHash(is *bugscope.Issue) string {
	b, _ := json.Marshal(struct {
		T, B, S, A string
		L          []string
		C, U, X    any
		N, R       int
		URL        string
		PR         bool
	}{is.Title, is.Body, is.State, is.AuthorAssociation, is.Labels,
		formatTime(is.CreatedAt), formatTime(is.UpdatedAt), formatTime(is.ClosedAt),
		is.Comments, is.Reactions, is.URL, is.IsPullRequest})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:32]
}

var hashTexts = []string{"", "plain text that is longer than eight bytes", `"quoted" \ back`, "<b>&amp;</b>",
	"tab\there\r\nnew\bline\f\x00\x01\x1f\x7f", "héllo wörld ✓ 😀", "\u2028 and \u2029 separators",
	"bad \xff\xfe utf-8 \xe2\x82 cut \xed\xa0\x80", strings.Repeat("abcdefg<", 5), "1234567\xe2\x80\xa8tail",
	"12345678\"", "1234567\\", "\xf0\x9f\x98"}

// TestContentHashMatchesJSON checks contentHasher against the json.Marshal
// encoding it replaces, for every field and awkward text; FuzzContentHash
// does it on any text.
func TestContentHashMatchesJSON(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	issues := []bugscope.Issue{{}, {Labels: []string{}}, {Title: "t", Body: "b", State: "open", AuthorAssociation: "NONE",
		Labels: []string{"bug", "x<y"}, CreatedAt: &t0, UpdatedAt: &t0, ClosedAt: &time.Time{}, Comments: 3, Reactions: -2,
		URL: "https://github.com/a/b/issues/1?x=1&y=<2>", IsPullRequest: true, Repo: "a/b", Number: 1}}
	for _, s := range hashTexts {
		issues = append(issues, bugscope.Issue{Title: s, Body: s + s, Labels: []string{s}, URL: s, State: s})
	}
	var c contentHasher
	for _, is := range issues {
		if got, want := c.hash(&is), jsonContentHash(&is); got != want {
			t.Errorf("hash of %+v = %s, json.Marshal gives %s", is, got, want)
		}
	}
}

func FuzzContentHash(f *testing.F) {
	for _, s := range hashTexts {
		f.Add(s, s)
	}
	var c contentHasher
	f.Fuzz(func(t *testing.T, title, body string) {
		is := bugscope.Issue{Title: title, Body: body, Labels: []string{body, title}}
		if got, want := c.hash(&is), jsonContentHash(&is); got != want {
			t.Fatalf("hash of %q, %q = %s, json.Marshal gives %s", title, body, got, want)
		}
	})
}
