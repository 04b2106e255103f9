package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/github/githubtest"
)

func rsaKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// A GitHub App: the JWT buys an installation token, used until
// RenewBefore its hour ends, then renewed; requests never carry an
// expired one.
func TestAppInstallationTokenRenewed(t *testing.T) {
	clock := githubtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	fake := githubtest.New(clock)
	defer fake.Close()
	key, pemKey := rsaKey(t)
	fake.SetAppKey(42, &key.PublicKey, time.Hour)
	fake.AddIssue("acme/engine", 1, "t", "b", "alice", "bug")
	app, err := github.NewApp(github.AppOptions{AppID: 42, InstallationID: 7, PrivateKey: pemKey, BaseURL: fake.URL, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	c, err := github.New(github.Options{BaseURL: fake.URL, Clock: clock, TokenSource: app})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Authenticated() {
		t.Error("an app client is authenticated")
	}
	ref := bugscope.IssueRef{Repo: "acme/engine", Number: 1}
	ctx := context.Background()
	for _, step := range []struct {
		advance  time.Duration
		renewals int
	}{{0, 1}, {30 * time.Minute, 1}, {19 * time.Minute, 1}, {2 * time.Minute, 2}, {45 * time.Minute, 2}, {10 * time.Minute, 3}} {
		clock.Advance(step.advance)
		st, err := c.IssueState(ctx, ref)
		if err != nil {
			t.Fatalf("after %v: %v", step.advance, err)
		}
		if len(st.Labels) != 1 || st.Author != "alice" {
			t.Errorf("state %+v", st)
		}
		if app.Renewals != step.renewals {
			t.Errorf("after +%v: %d installation tokens bought, want %d", step.advance, app.Renewals, step.renewals)
		}
	}
	calls := 0
	for _, call := range fake.Calls() {
		if call.Path == "/app/installations/7/access_tokens" {
			calls++
		}
	}
	if calls != 3 {
		t.Errorf("%d token exchanges, want 3", calls)
	}

	// A key the app is not registered with is refused: unauthorized.
	_, other := rsaKey(t)
	bad, _ := github.NewApp(github.AppOptions{AppID: 42, InstallationID: 7, PrivateKey: other, BaseURL: fake.URL, Clock: clock})
	bc, _ := github.New(github.Options{BaseURL: fake.URL, Clock: clock, TokenSource: bad})
	_, err = bc.IssueState(ctx, ref)
	if bugscope.ErrorCode(err) != bugscope.EUnauthorized {
		t.Errorf("wrong key: %v (kind %s), want unauthorized", err, bugscope.ErrorCode(err))
	}
	if _, err := github.NewApp(github.AppOptions{AppID: 42, InstallationID: 7, PrivateKey: []byte("not a key")}); bugscope.ErrorCode(err) != bugscope.EInvalid {
		t.Errorf("bad PEM: %v", err)
	}
}
