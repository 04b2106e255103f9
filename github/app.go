package github

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope"
)

// TokenSource hands out the token of each request: a GitHub App's
// installation token, renewed before it expires.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// tokenTransport sets each request's token from a TokenSource. It sits
// under the polite transport, so that a retried request gets a fresh
// token too.
type tokenTransport struct {
	base http.RoundTripper
	src  TokenSource
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.Token(req.Context())
	if err != nil {
		return nil, permanentError{err}
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok)
	return t.base.RoundTrip(req)
}

// AppOptions name a GitHub App installation.
type AppOptions struct {
	AppID          int64
	InstallationID int64
	// PrivateKey is the app's private key (PEM, as GitHub issues it).
	PrivateKey []byte
	// BaseURL is the REST API's address, as Options.BaseURL.
	BaseURL   string
	Clock     Clock
	Transport http.RoundTripper
}

// Renewal: an installation token lasts an hour; it is renewed this long
// before it ends. A JWT lasts 9 minutes (GitHub allows 10) and is dated a
// minute back against clock drift, as GitHub advises.
const (
	RenewBefore = 10 * time.Minute
	jwtLife     = 9 * time.Minute
	jwtBackdate = time.Minute
)

// App is a GitHub App installation's token source: a JWT signed with the
// app's key (RS256) buys an installation token, renewed RenewBefore its
// hour ends.
type App struct {
	opt  AppOptions
	key  any
	base string

	mu      sync.Mutex
	token   string
	expires time.Time
	// Renewals counts the installation tokens bought.
	Renewals int
}

// NewApp checks the options and the key.
func NewApp(o AppOptions) (*App, error) {
	if o.AppID <= 0 || o.InstallationID <= 0 {
		return nil, bugscope.Errorf(bugscope.EInvalid, "GitHub App: want an app id and an installation id (got %d and %d)", o.AppID, o.InstallationID)
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(o.PrivateKey)
	if err != nil {
		return nil, bugscope.Errorf(bugscope.EInvalid, "GitHub App: private key: %v (want the PEM file GitHub issued)", err)
	}
	base, err := APIURL(o.BaseURL)
	if err != nil {
		return nil, bugscope.WithKind(bugscope.EInvalid, err)
	}
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	return &App{opt: o, key: key, base: base.String()}, nil
}

// AppFromFiles reads the app's key from a file.
func AppFromFiles(appID, installationID int64, keyFile, baseURL string) (*App, error) {
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("GitHub App private key: %w", err)
	}
	return NewApp(AppOptions{AppID: appID, InstallationID: installationID, PrivateKey: b, BaseURL: baseURL})
}

// JWT returns a token that authenticates as the app itself.
func (a *App) JWT() (string, error) {
	now := a.opt.Clock.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    strconv.FormatInt(a.opt.AppID, 10),
		IssuedAt:  jwt.NewNumericDate(now.Add(-jwtBackdate)),
		ExpiresAt: jwt.NewNumericDate(now.Add(jwtLife)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.key)
}

// Token returns the installation token, buying a new one when none is
// held or the one held ends within RenewBefore.
func (a *App) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.opt.Clock.Now()
	if a.token != "" && now.Add(RenewBefore).Before(a.expires) {
		return a.token, nil
	}
	signed, err := a.JWT()
	if err != nil {
		return "", err
	}
	c, err := gh.NewClient(gh.WithTransport(a.opt.Transport), gh.WithAuthToken(signed), gh.WithURLs(&a.base, &a.base),
		gh.WithUserAgent("bugscope"), gh.WithDisableRateLimitCheck())
	if err != nil {
		return "", err
	}
	it, _, err := c.Apps.CreateInstallationToken(ctx, a.opt.InstallationID, nil)
	if err != nil {
		if s := StatusOf(err); s == 401 || s == 403 || s == 404 {
			return "", bugscope.Errorf(bugscope.EUnauthorized, "GitHub App %d: no installation token for installation %d: %w", a.opt.AppID, a.opt.InstallationID, err)
		}
		return "", bugscope.Errorf(bugscope.EUnavailable, "GitHub App %d: installation token: %w", a.opt.AppID, err)
	}
	a.token = it.GetToken()
	a.expires = it.GetExpiresAt().Time
	if a.expires.IsZero() {
		a.expires = now.Add(time.Hour)
	}
	a.Renewals++
	return a.token, nil
}
