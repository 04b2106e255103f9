package http

import (
	"context"
	"errors"
	"net/http"

	"github.com/bugscope/bugscope"
)

// kindStatus maps error kinds to HTTP statuses: the one place that does.
var kindStatus = map[string]int{
	bugscope.EInvalid:      http.StatusBadRequest,
	bugscope.ENotFound:     http.StatusNotFound,
	bugscope.EConflict:     http.StatusConflict,
	bugscope.EUnavailable:  http.StatusServiceUnavailable,
	bugscope.EUnauthorized: http.StatusUnauthorized,
	bugscope.EForbidden:    http.StatusForbidden,
	bugscope.EInternal:     http.StatusInternalServerError,
}

// StatusOf returns the HTTP status of an error: by its kind, 499 for a
// request the client gave up, 504 for a deadline passed.
func StatusOf(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, context.Canceled):
		return 499 // the client closed the request (nginx's convention)
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	if s, ok := kindStatus[bugscope.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// publicMessage is what a response says of an error: its text for the
// kinds that describe the request, a generic sentence for internal errors
// (their text may name files and queries; it goes to the log).
func publicMessage(err error, status int) string {
	if status >= 500 && status != http.StatusServiceUnavailable {
		return "internal error: the server's log says more"
	}
	return err.Error()
}
