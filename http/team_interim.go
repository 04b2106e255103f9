package http

// Until branch web is merged: its error mapping and security headers,
// copied so that the team's pages build and are tested alone. Delete this
// file when merging web (http/errors.go and http/middleware.go have them).

import (
	"context"
	"errors"
	"net/http"

	"github.com/bugscope/bugscope"
)

var kindStatus = map[string]int{
	bugscope.EInvalid:      http.StatusBadRequest,
	bugscope.ENotFound:     http.StatusNotFound,
	bugscope.EConflict:     http.StatusConflict,
	bugscope.EUnavailable:  http.StatusServiceUnavailable,
	bugscope.EUnauthorized: http.StatusUnauthorized,
	bugscope.EForbidden:    http.StatusForbidden,
	bugscope.EInternal:     http.StatusInternalServerError,
}

// StatusOf returns the HTTP status of an error.
func StatusOf(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, context.Canceled):
		return 499
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	if s, ok := kindStatus[bugscope.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func publicMessage(err error, status int) string {
	if status >= 500 && status != http.StatusServiceUnavailable {
		return "internal error: the server's log says more"
	}
	return err.Error()
}

// ContentSecurityPolicy allows no inline script.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		}
		next.ServeHTTP(w, r)
	})
}
