package bugscope

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

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
