package bugscope

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"testing"
)

// kinded is an error type of its own that names its kind, as
// importer.Error does.
type kinded struct{}

func (kinded) Error() string     { return "a.json:3: bad" }
func (kinded) ErrorKind() string { return EInvalid }

func TestErrorKinds(t *testing.T) {
	wrapped := fmt.Errorf("show: %w", Errorf(ENotFound, "issue %s", "o/r#1"))
	cases := []struct {
		name     string
		err      error
		code     string
		text     string
		notFound bool
	}{
		{"nil", nil, "", "", false},
		{"plain", errors.New("boom"), EInternal, "boom", false},
		{"bare kind", ErrNotFound, ENotFound, "not found", true},
		{"wrapped sentinel", fmt.Errorf("issue o/r#1: %w", ErrNotFound), ENotFound, "issue o/r#1: not found", true},
		{"Errorf", Errorf(EInvalid, "file %s line %d", "a.json", 3), EInvalid, "file a.json line 3", false},
		{"Errorf wrapping a cause", Errorf(EUnavailable, "read: %w", io.ErrUnexpectedEOF), EUnavailable, "read: unexpected EOF", false},
		{"wrapped Errorf", wrapped, ENotFound, "show: issue o/r#1", true},
		{"WithKind", WithKind(EConflict, errors.New("stale")), EConflict, "stale", false},
		{"own kind", fmt.Errorf("import: %w", kinded{}), EInvalid, "import: a.json:3: bad", false},
		{"joined", errors.Join(errors.New("first"), Errorf(EConflict, "second")), EConflict, "first\nsecond", false},
		{"missing file", fmt.Errorf("read: %w", fs.ErrNotExist), ENotFound, "read: file does not exist", false},
		{"kind before missing file", Errorf(EInvalid, "read: %w", fs.ErrNotExist), EInvalid, "read: file does not exist", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ErrorCode(tc.err); got != tc.code {
				t.Errorf("ErrorCode = %q, want %q", got, tc.code)
			}
			if tc.err != nil && tc.err.Error() != tc.text {
				t.Errorf("text = %q, want %q", tc.err.Error(), tc.text)
			}
			if got := errors.Is(tc.err, ErrNotFound); got != tc.notFound {
				t.Errorf("errors.Is(ErrNotFound) = %v, want %v", got, tc.notFound)
			}
		})
	}
	if !errors.Is(Errorf(EUnavailable, "read: %w", io.ErrUnexpectedEOF), io.ErrUnexpectedEOF) {
		t.Error("Errorf lost its cause")
	}
	if WithKind(EInvalid, nil) != nil {
		t.Error("WithKind(nil) is not nil")
	}
}

func TestParseIssueArg(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want IssueRef
		ok   bool
	}{
		{"vllm-project/vllm#22", IssueRef{"vllm-project/vllm", 22}, true},
		{" o/r#1 ", IssueRef{"o/r", 1}, true},
		{"https://github.com/vllm-project/vllm/issues/22", IssueRef{"vllm-project/vllm", 22}, true},
		{"https://github.com/o/r/pull/7/", IssueRef{"o/r", 7}, true},
		{"https://github.com/o/r/issues/7#issuecomment-1", IssueRef{"o/r", 7}, true},
		{"https://ghe.example.com/team/engine/issues/3?x=1", IssueRef{"team/engine", 3}, true},
		{"https://github.com/o/r", IssueRef{}, false},
		{"https://github.com/o/r/commits/7", IssueRef{}, false},
		{"https://github.com/o/r/issues/x", IssueRef{}, false},
		{"o/r", IssueRef{}, false},
		{"o/r#0", IssueRef{}, false},
	} {
		got, err := ParseIssueArg(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseIssueArg(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && ErrorCode(err) != EInvalid {
			t.Errorf("ParseIssueArg(%q): kind %s, want invalid", tc.in, ErrorCode(err))
		}
	}
}

func TestBestClassifier(t *testing.T) {
	for _, tc := range []struct {
		have []string
		want string
	}{
		{nil, ""},
		{[]string{"rules"}, "rules"},
		{[]string{"rules", "ensemble", "model"}, "ensemble"},
		{[]string{"rules", "llm"}, "llm"},
		{[]string{"zeta", "alpha"}, "alpha"},
		{[]string{"zeta", "rules"}, "rules"},
	} {
		if got := BestClassifier(tc.have); got != tc.want {
			t.Errorf("BestClassifier(%v) = %q, want %q", tc.have, got, tc.want)
		}
	}
	if _, err := ChooseClassifier([]string{"rules"}, "t", "model"); ErrorCode(err) != ENotFound {
		t.Errorf("a classifier that labelled nothing: %v, want not found", err)
	}
}
