// Package github connects bugscope to the GitHub REST API through
// google/go-github: the client with its token and API address (GitHub or
// GitHub Enterprise), a transport that is polite under rate limits
// (waiting for the reset of a spent primary limit, honouring Retry-After,
// retrying 5xx and broken connections with jittered backoff, a budget of
// requests, a few requests in flight at most) and that sends conditional
// requests, and the conversion of GitHub's objects to bugscope's types.
//
// Time passes through a Clock, so that tests run against a fake GitHub
// (package githubtest) without sleeping.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	gh "github.com/google/go-github/v92/github"
)

// DefaultAPI is the REST API of github.com.
const DefaultAPI = "https://api.github.com/"

// Unauthenticated is the primary rate limit without a token.
const Unauthenticated = 60

// Clock tells the time and sleeps. Tests replace it with a fake that
// advances instead of sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, returning ctx's error then.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Options configure a Client. The zero value talks to github.com without
// a token on the real clock.
type Options struct {
	// Token authenticates requests (a personal access token or an app
	// token); empty for unauthenticated requests, limited to 60 an hour.
	Token string
	// BaseURL is the REST API's address: "" for github.com; for GitHub
	// Enterprise Server the host (https://ghe.example.com, to which
	// /api/v3/ is added) or the full API address.
	BaseURL string
	// Clock defaults to SystemClock.
	Clock Clock
	// MaxInFlight bounds the requests in flight at once (default 4):
	// GitHub asks clients not to make concurrent requests in bulk.
	MaxInFlight int
	// MaxRequests is the run's budget of requests, retries included; 0
	// for none. Past it requests fail with ErrBudget.
	MaxRequests int
	// MaxRetries bounds the retries of one request after server errors,
	// broken connections and secondary rate limits (default 8).
	MaxRetries int
	// MaxBackoff caps one backoff (default 2 minutes); MaxWait caps one
	// wait for a rate-limit reset (default 65 minutes: GitHub's window is an
	// hour).
	MaxBackoff time.Duration
	MaxWait    time.Duration
	// Timeout bounds the wait for the first byte of a response, and then
	// for each further piece of its body (default 20 seconds, well above
	// GitHub's own 10-second limit): a hung or stalled server is given up
	// on and the request retried. SlowAfter (default a quarter of
	// Timeout) is when an EventSlow says that the server is slow.
	Timeout   time.Duration
	SlowAfter time.Duration
	// MaxRetryTime bounds the time one request spends on failed attempts
	// (no answer, a broken connection) and the waits between them
	// (default 2 minutes). A request that gives up because the server did
	// not answer makes later requests fail at once: the server is down.
	MaxRetryTime time.Duration
	// AttemptTimeout bounds one attempt on the real network, body included
	// (default 2 minutes).
	AttemptTimeout time.Duration
	// Transport is the underlying transport (default: a clone of
	// http.DefaultTransport, which honours HTTP(S)_PROXY).
	Transport http.RoundTripper
	// OnEvent, when set, is told of responses, waits and retries; it must
	// not block.
	OnEvent func(Event)
	// Jitter returns a number in [0, 1) for backoff jitter; tests fix it.
	Jitter func() float64
	// UserAgent defaults to "bugscope".
	UserAgent string
	// TokenSource, when set, gives each request its token instead of
	// Token: a GitHub App's installation token (App), renewed as it
	// nears its end.
	TokenSource TokenSource
}

// Client is a go-github client behind bugscope's transport.
type Client struct {
	// GH is the go-github client; every request it makes goes through the
	// transport.
	GH        *gh.Client
	transport *Transport
	token     bool
	base      *url.URL
}

// New builds a client.
func New(opt Options) (*Client, error) {
	base, err := APIURL(opt.BaseURL)
	if err != nil {
		return nil, err
	}
	if opt.TokenSource != nil {
		base := opt.Transport
		if base == nil {
			base = http.DefaultTransport.(*http.Transport).Clone()
		}
		opt.Transport = &tokenTransport{base: base, src: opt.TokenSource}
		opt.Token = ""
	}
	t := newTransport(opt)
	ua := opt.UserAgent
	if ua == "" {
		ua = "bugscope"
	}
	opts := []gh.ClientOptionsFunc{
		gh.WithTransport(t),
		gh.WithUserAgent(ua),
		// The transport waits for resets on its injectable clock; go-github's
		// own check would refuse requests on the wall clock instead.
		gh.WithDisableRateLimitCheck(),
	}
	s := base.String()
	opts = append(opts, gh.WithURLs(&s, &s))
	if opt.Token != "" {
		opts = append(opts, gh.WithAuthToken(opt.Token))
	}
	c, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("github client: %w", err)
	}
	return &Client{GH: c, transport: t, token: opt.Token != "" || opt.TokenSource != nil, base: base}, nil
}

// APIURL resolves the --api-url value: "" is github.com; a bare host (no
// path) other than api.* is GitHub Enterprise Server, whose API lives under
// /api/v3/; any other address is used as given.
func APIURL(s string) (*url.URL, error) {
	if s == "" {
		s = DefaultAPI
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("API URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("API URL %q: want http(s)://host[/path]", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("API URL %q: no credentials, query or fragment, please", s)
	}
	if (u.Path == "" || u.Path == "/") && !strings.HasPrefix(u.Host, "api.") && !strings.Contains(u.Host, ".api.") {
		u.Path = "/api/v3/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// WebHost returns the host of the web pages that go with the API address
// s (as APIURL reads it): github.com for api.github.com, HOST for
// https://HOST/api/v3/ or https://api.HOST/ (GitHub Enterprise Server,
// with or without subdomain isolation). Reports link to issues there.
func WebHost(s string) (string, error) {
	u, err := APIURL(s)
	if err != nil {
		return "", err
	}
	host := strings.ToLower(u.Host)
	if rest, ok := strings.CutPrefix(host, "api."); ok {
		return rest, nil
	}
	return host, nil
}

// TokenFromEnv returns the token of GITHUB_TOKEN, or else GH_TOKEN, and
// the variable it came from.
func TokenFromEnv() (token, from string) {
	for _, v := range []string{"GITHUB_TOKEN", "GH_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(v)); t != "" {
			return t, v
		}
	}
	return "", ""
}

// Authenticated reports whether the client sends a token.
func (c *Client) Authenticated() bool { return c.token }

// BaseURL is the API address requests go to.
func (c *Client) BaseURL() string { return c.base.String() }

// Rate is the latest known primary rate limit.
func (c *Client) Rate() Rate { return c.transport.Rate() }

// Requests counts the requests sent, retries included.
func (c *Client) Requests() int64 { return c.transport.sent.Load() }

// OnEvent replaces the function told of the transport's events (nil for
// none).
func (c *Client) OnEvent(fn func(Event)) {
	if fn == nil {
		c.transport.onEvent.Store(nil)
		return
	}
	c.transport.onEvent.Store(&fn)
}

// Clock is the client's clock.
func (c *Client) Clock() Clock { return c.transport.clock }

// IsNotModified reports whether a go-github call was answered 304 Not
// Modified (go-github returns it as an error).
func IsNotModified(resp *gh.Response) bool {
	return resp != nil && resp.Response != nil && resp.StatusCode == http.StatusNotModified
}

// StatusOf returns the HTTP status of a go-github error response, or 0.
func StatusOf(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// ResponseValidators returns the validators of a response, to store and
// send with the same request next time.
func ResponseValidators(resp *gh.Response) Validators {
	if resp == nil || resp.Response == nil {
		return Validators{}
	}
	return Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
}

// ServedAt returns the server's Date of a response, or the zero time.
func ServedAt(resp *gh.Response) time.Time {
	if resp == nil || resp.Response == nil {
		return time.Time{}
	}
	t, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
