package study

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
)

// A study team works in the browser: raters sign in with a one-time link,
// get a session, and answer on the samples they may touch; an admin rater
// manages samples, arbitrates and exports. Links and sessions are random
// 256-bit secrets; the store keeps only their SHA-256 (a fast hash is
// enough for secrets of that entropy: nothing to guess), so that a copy of
// the database signs no one in.

// Rater is a member of the study team, as the store keeps them.
type Rater struct {
	Name string `json:"name"`
	// Admin raters manage samples and raters, arbitrate and export.
	Admin bool `json:"admin"`
	// Samples a non-admin rater may annotate, unless EverySample (a
	// rater added without samples).
	Samples     []string   `json:"samples"`
	EverySample bool       `json:"every_sample"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	// LastSignIn is when a link of the rater's was last used.
	LastSignIn *time.Time `json:"last_sign_in,omitempty"`
	// Sessions counts the rater's sessions that have not expired;
	// PendingLinks the sign-in links not used and not expired.
	Sessions     int `json:"sessions"`
	PendingLinks int `json:"pending_links"`
}

// Revoked reports whether the rater was revoked: no sign-in, no session.
func (r Rater) Revoked() bool { return r.RevokedAt != nil }

// MayAnnotate reports whether the rater may answer on a sample.
func (r Rater) MayAnnotate(sample string) bool {
	if r.Revoked() {
		return false
	}
	return r.Admin || r.EverySample || slices.Contains(r.Samples, sample)
}

// Scope says which samples the rater may annotate: "every sample",
// "a, b", or "none" (their samples were deleted since).
func (r Rater) Scope() string {
	switch {
	case r.Admin || r.EverySample:
		return "every sample"
	case len(r.Samples) == 0:
		return "none"
	}
	return strings.Join(r.Samples, ", ")
}

// MayManage reports whether the rater may arbitrate, export, read the
// agreement of a sample (which shows every rater's answers) and manage
// the team.
func (r Rater) MayManage() bool { return !r.Revoked() && r.Admin }

// TeamStore keeps the team: raters, their sign-in links and sessions, all
// as hashes. Package sqlite implements it.
type TeamStore interface {
	// GetSample returns a sample (ENotFound when there is none).
	GetSample(ctx context.Context, name string) (Sample, error)
	// CreateRater stores a new rater with a first sign-in link, in one
	// transaction; a rater of that name is an EConflict error, an unknown
	// sample ENotFound.
	CreateRater(ctx context.Context, r Rater, link Secret) error
	// AddLink stores a new sign-in link for a rater, replacing the ones
	// not yet used; a revoked rater is EConflict.
	AddLink(ctx context.Context, rater string, link Secret) error
	// GetRater returns a rater (ENotFound); Raters lists them by name.
	GetRater(ctx context.Context, name string) (Rater, error)
	Raters(ctx context.Context) ([]Rater, error)
	// RevokeRater marks a rater revoked and deletes their links and
	// sessions, in one transaction. Their answers stay.
	RevokeRater(ctx context.Context, name string, at time.Time) error
	// Redeem uses a sign-in link once and opens a session, in one
	// transaction: a link unknown, used, expired or of a revoked rater is
	// EUnauthorized and opens nothing.
	Redeem(ctx context.Context, linkHash string, session Secret, now time.Time) (Rater, error)
	// SessionRater returns the rater of a session that has not expired
	// (EUnauthorized otherwise) and the session's expiry.
	SessionRater(ctx context.Context, sessionHash string, now time.Time) (Rater, time.Time, error)
	// DeleteSession ends a session.
	DeleteSession(ctx context.Context, sessionHash string) error
}

// Secret is a link or session as stored: the hash of its token and when
// it expires.
type Secret struct {
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Default lifetimes of links and sessions.
const (
	DefaultLinkTTL    = 7 * 24 * time.Hour
	DefaultSessionTTL = 7 * 24 * time.Hour
)

// Team manages raters, links and sessions.
type Team struct {
	Store TeamStore
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// LinkTTL and SessionTTL bound how long a link and a session live
	// (DefaultLinkTTL, DefaultSessionTTL when zero).
	LinkTTL, SessionTTL time.Duration
}

// NewTeam returns a Team over store.
func NewTeam(store TeamStore) *Team { return &Team{Store: store} }

func (t *Team) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// NewToken returns a random 256-bit token, URL-safe base64 (43
// characters), from crypto/rand.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+: it crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken is what the store keeps of a token: its SHA-256, hex.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (t *Team) secret(ttl time.Duration) (token string, s Secret) {
	token = NewToken()
	now := t.now()
	return token, Secret{Hash: HashToken(token), CreatedAt: now, ExpiresAt: now.Add(ttl)}
}

// Add creates a rater and returns a one-time sign-in token for them.
func (t *Team) Add(ctx context.Context, name string, samples []string, admin bool) (Rater, string, error) {
	if err := CheckName("rater", name); err != nil {
		return Rater{}, "", err
	}
	for _, s := range samples {
		if _, err := t.Store.GetSample(ctx, s); err != nil {
			return Rater{}, "", err
		}
	}
	r := Rater{Name: name, Admin: admin, Samples: samples, EverySample: len(samples) == 0, CreatedAt: t.now()}
	token, link := t.secret(orDefault(t.LinkTTL, DefaultLinkTTL))
	if err := t.Store.CreateRater(ctx, r, link); err != nil {
		return Rater{}, "", err
	}
	return r, token, nil
}

// Link returns a new one-time sign-in token for a rater, replacing the
// unused ones (a lost link, a new laptop).
func (t *Team) Link(ctx context.Context, name string) (string, error) {
	token, link := t.secret(orDefault(t.LinkTTL, DefaultLinkTTL))
	if err := t.Store.AddLink(ctx, name, link); err != nil {
		return "", err
	}
	return token, nil
}

// Revoke ends a rater's access: links and sessions go, answers stay.
func (t *Team) Revoke(ctx context.Context, name string) error {
	return t.Store.RevokeRater(ctx, name, t.now())
}

// List returns the raters by name.
func (t *Team) List(ctx context.Context) ([]Rater, error) { return t.Store.Raters(ctx) }

// Session is a signed-in rater.
type Session struct {
	// ID is the session's token, the cookie's value; never stored.
	ID        string    `json:"-"`
	Rater     Rater     `json:"rater"`
	ExpiresAt time.Time `json:"expires_at"`
}

// errSignIn is the one answer to every failed sign-in, so that it tells
// an attacker nothing about why.
func errSignIn() error {
	return bugscope.Errorf(bugscope.EUnauthorized, "this sign-in link is not valid: it was used already, it expired, or it was never issued; ask the study's admin for a new one (bugscope rater link NAME)")
}

// SignIn uses a sign-in token once and opens a session.
func (t *Team) SignIn(ctx context.Context, token string) (*Session, error) {
	if len(token) != 43 {
		return nil, errSignIn()
	}
	id, sess := t.secret(orDefault(t.SessionTTL, DefaultSessionTTL))
	r, err := t.Store.Redeem(ctx, HashToken(token), sess, t.now())
	if bugscope.ErrorCode(err) == bugscope.EUnauthorized {
		return nil, errSignIn()
	}
	if err != nil {
		return nil, err
	}
	return &Session{ID: id, Rater: r, ExpiresAt: sess.ExpiresAt}, nil
}

// Session returns the session of a cookie's token: EUnauthorized when it
// is unknown, expired or its rater revoked.
func (t *Team) Session(ctx context.Context, id string) (*Session, error) {
	if len(id) != 43 {
		return nil, bugscope.Errorf(bugscope.EUnauthorized, "not signed in")
	}
	r, exp, err := t.Store.SessionRater(ctx, HashToken(id), t.now())
	if err != nil {
		return nil, err
	}
	return &Session{ID: id, Rater: r, ExpiresAt: exp}, nil
}

// SignOut ends a session.
func (t *Team) SignOut(ctx context.Context, id string) error {
	return t.Store.DeleteSession(ctx, HashToken(id))
}

// CSRF is the session's anti-forgery token, put in every form: derived
// from the session's secret (SHA-256 with a label of its own), so it needs
// no storage, differs per session, and tells nothing of the session.
func (s *Session) CSRF() string {
	h := sha256.Sum256([]byte("bugscope csrf\x00" + s.ID))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// CheckCSRF compares a form's token with the session's in constant time;
// a mismatch is EForbidden.
func (s *Session) CheckCSRF(token string) error {
	want := s.CSRF()
	if subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return bugscope.Errorf(bugscope.EForbidden, "the form's anti-forgery token does not match your session: reload the page and try again")
	}
	return nil
}

// MayAnnotate is an EForbidden error unless the session's rater may
// answer on the sample.
func (s *Session) MayAnnotate(sample string) error {
	if !s.Rater.MayAnnotate(sample) {
		return bugscope.Errorf(bugscope.EForbidden, "rater %s may not annotate sample %q", s.Rater.Name, sample)
	}
	return nil
}

// MayManage is an EForbidden error unless the session's rater is an
// admin.
func (s *Session) MayManage() error {
	if !s.Rater.MayManage() {
		return bugscope.Errorf(bugscope.EForbidden, "rater %s is not an admin of the study: only admins arbitrate, export and read agreement", s.Rater.Name)
	}
	return nil
}
