package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/triage"
)

// WebhookQueue is where the webhook stores accepted deliveries
// (triage.Store implements it).
type WebhookQueue interface {
	EnqueueDelivery(ctx context.Context, d triage.Delivery) (dup bool, err error)
}

// WebhookOptions configure the GitHub webhook receiver.
type WebhookOptions struct {
	// Secret is the webhook's secret: every delivery must carry its
	// HMAC-SHA256 in X-Hub-Signature-256.
	Secret []byte
	// MaxBytes bounds a delivery's body (default 1 MiB); larger ones are
	// refused with 413.
	MaxBytes int64
	Queue    WebhookQueue
	// Wake, when set, is sent to (without blocking) after a delivery is
	// queued, so that the worker starts at once.
	Wake chan<- struct{}
	// Logf, when set, logs refused deliveries.
	Logf func(format string, args ...any)
}

// maxDeliveryID bounds the X-GitHub-Delivery header (a GUID).
const maxDeliveryID = 100

// NewWebhook returns the handler of /webhooks/github. It checks the
// signature in constant time before reading anything of the payload,
// answers ping, queues `issues` deliveries in the database once per
// X-GitHub-Delivery (a redelivery is answered 200 and not queued again)
// and answers at once: the work is done by the worker that drains the
// queue (triage.Service.Run).
func NewWebhook(o WebhookOptions) http.Handler {
	if o.MaxBytes <= 0 {
		o.MaxBytes = triage.DefaultMaxPayload
	}
	return &webhookHandler{o: o}
}

type webhookHandler struct{ o WebhookOptions }

type webhookAnswer struct {
	OK        bool   `json:"ok"`
	Queued    bool   `json:"queued,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Ignored   string `json:"ignored,omitempty"`
	Error     string `json:"error,omitempty"`
	Zen       string `json:"zen,omitempty"`
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		webhookWrite(w, http.StatusMethodNotAllowed, webhookAnswer{Error: "POST only"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		h.refuse(w, r, http.StatusRequestEntityTooLarge, "payload larger than the configured bound")
		return
	case err != nil:
		h.refuse(w, r, http.StatusBadRequest, "cannot read the payload")
		return
	}
	if !VerifySignature(h.o.Secret, body, r.Header.Get("X-Hub-Signature-256")) {
		h.refuse(w, r, http.StatusUnauthorized, "missing or wrong X-Hub-Signature-256")
		return
	}
	event := r.Header.Get("X-GitHub-Event")
	delivery := r.Header.Get("X-GitHub-Delivery")
	if event == "ping" {
		webhookWrite(w, http.StatusOK, webhookAnswer{OK: true, Zen: "pong"})
		return
	}
	if delivery == "" || len(delivery) > maxDeliveryID || strings.ContainsFunc(delivery, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		h.refuse(w, r, http.StatusBadRequest, "missing or malformed X-GitHub-Delivery")
		return
	}
	if event != "issues" {
		webhookWrite(w, http.StatusAccepted, webhookAnswer{OK: true, Ignored: "event " + safeHeader(event) + " is not triaged"})
		return
	}
	var head struct {
		Action string `json:"action"`
		Issue  struct {
			Number int `json:"number"`
		} `json:"issue"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &head); err != nil || head.Issue.Number <= 0 || bugscope.ValidateRepo(head.Repository.FullName) != nil {
		h.refuse(w, r, http.StatusBadRequest, "not an issues event payload")
		return
	}
	if !slices.Contains(triage.Triaged, head.Action) {
		webhookWrite(w, http.StatusAccepted, webhookAnswer{OK: true, Ignored: "action " + safeHeader(head.Action) + " is not triaged"})
		return
	}
	dup, err := h.o.Queue.EnqueueDelivery(r.Context(), triage.Delivery{
		DeliveryID: delivery, Event: event, Action: head.Action,
		Issue: bugscope.IssueRef{Repo: head.Repository.FullName, Number: head.Issue.Number}, Payload: body,
	})
	if err != nil {
		// The cause is for the log; GitHub is told to try again.
		if h.o.Logf != nil {
			h.o.Logf("webhook: delivery %s not queued: %v", safeHeader(delivery), err)
		}
		webhookWrite(w, StatusOf(err), webhookAnswer{Error: "the delivery could not be queued; redeliver it later"})
		return
	}
	if dup {
		webhookWrite(w, http.StatusOK, webhookAnswer{OK: true, Duplicate: true})
		return
	}
	if h.o.Wake != nil {
		select {
		case h.o.Wake <- struct{}{}:
		default:
		}
	}
	webhookWrite(w, http.StatusAccepted, webhookAnswer{OK: true, Queued: true})
}

func (h *webhookHandler) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if h.o.Logf != nil {
		h.o.Logf("webhook: delivery %s refused (%d): %s", safeHeader(r.Header.Get("X-GitHub-Delivery")), status, msg)
	}
	webhookWrite(w, status, webhookAnswer{Error: msg})
}

// VerifySignature checks GitHub's X-Hub-Signature-256 header
// ("sha256=" and the hex HMAC-SHA256 of the body under the secret) in
// constant time. An empty secret verifies nothing.
func VerifySignature(secret, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(secret) == 0 {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// Sign returns the X-Hub-Signature-256 value of body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func webhookWrite(w http.ResponseWriter, status int, a webhookAnswer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(a)
}

// safeHeader bounds and cleans a header value echoed in an answer or log.
func safeHeader(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}
