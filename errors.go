package bugscope

import (
	"errors"
	"fmt"
	"io/fs"
)

// Error kinds. Packages say what went wrong in these terms; the command
// line maps them to exit codes (cmd/bugscope) and the web server to HTTP
// statuses (package http), each in one place.
const (
	EInvalid      = "invalid"      // malformed input: a file, a record, a flag value, a request
	ENotFound     = "not_found"    // the named issue, sample, rater or file does not exist
	EConflict     = "conflict"     // the request contradicts the stored state (a stale decision, open disagreements)
	EUnavailable  = "unavailable"  // an outside service or the database cannot be reached or used now
	EUnauthorized = "unauthorized" // no valid credentials
	EForbidden    = "forbidden"    // valid credentials that may not do this
	EInternal     = "internal"     // everything else: a bug or an unexpected failure
)

// Error is an error with a kind. Message, when set, is the whole text for
// people (Errorf puts its cause's text in it); Err, when set, is the cause,
// reached by errors.Is and errors.As.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	}
	return kindText[e.Code]
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes a bare kind (an Error with only a Code, such as ErrNotFound)
// match every error of that kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Err == nil && t.Code == e.Code
}

var kindText = map[string]string{
	EInvalid:      "invalid input",
	ENotFound:     "not found",
	EConflict:     "conflict",
	EUnavailable:  "unavailable",
	EUnauthorized: "unauthorized",
	EForbidden:    "forbidden",
	EInternal:     "internal error",
}

// ErrNotFound is the bare kind ENotFound: errors.Is(err, ErrNotFound) holds
// for every not-found error, however it was made.
var ErrNotFound = &Error{Code: ENotFound}

// Errorf returns an error of kind code. A %w verb in format wraps its
// argument as the cause.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// WithKind gives err the kind code, keeping it as the cause; nil stays nil.
func WithKind(code string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// ErrorCode returns the kind of err: the code of the outermost *Error in
// its chain, or of the outermost error that names its own kind with an
// ErrorKind method (a package's error type that carries fields of its
// own, such as importer.Error's file and line); else ENotFound for a file
// that does not exist, EInternal for other errors, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if code := kindOf(err); code != "" {
		return code
	}
	if errors.Is(err, fs.ErrNotExist) {
		return ENotFound
	}
	return EInternal
}

// kindOf walks err's chain, joined errors included, for the first kind.
func kindOf(err error) string {
	switch e := err.(type) {
	case *Error:
		if e.Code != "" {
			return e.Code
		}
	case interface{ ErrorKind() string }:
		if k := e.ErrorKind(); k != "" {
			return k
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if w := u.Unwrap(); w != nil {
			return kindOf(w)
		}
	case interface{ Unwrap() []error }:
		for _, w := range u.Unwrap() {
			if k := kindOf(w); k != "" {
				return k
			}
		}
	}
	return ""
}
