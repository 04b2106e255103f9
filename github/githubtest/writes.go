package githubtest

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	gh "github.com/google/go-github/v92/github"
)

// Call is one request that changes something (or buys a token), as the
// fake received it: tests check exactly which calls a client made.
type Call struct {
	Method string `json:"method"`
	Path   string `json:"path"` // without /api/v3
	Body   string `json:"body"`
}

func (c Call) String() string { return c.Method + " " + c.Path + " " + c.Body }

// Calls returns the writes received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// AddIssue stores an issue (number, title, body, labels, author) in repo,
// created and updated now.
func (s *Server) AddIssue(repo string, number int, title, body, author string, labels ...string) *gh.Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	now := gh.Timestamp{Time: s.clock.Now().Truncate(time.Second)}
	is := &gh.Issue{
		Number: gh.Ptr(number), Title: gh.Ptr(title), Body: gh.Ptr(body), State: gh.Ptr("open"),
		HTMLURL:   gh.Ptr(fmt.Sprintf("https://github.com/%s/issues/%d", repo, number)),
		URL:       gh.Ptr(fmt.Sprintf("%srepos/%s/issues/%d", s.URL, repo, number)),
		User:      &gh.User{Login: gh.Ptr(author), Type: gh.Ptr("User")},
		CreatedAt: &now, UpdatedAt: &now,
	}
	for _, l := range labels {
		is.Labels = append(is.Labels, &gh.Label{Name: l})
	}
	r.Issues[number] = is
	return is
}

// IssueLabels returns the labels an issue carries now.
func (s *Server) IssueLabels(repo string, number int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.repo(repo).Issues[number]
	if is == nil {
		return nil
	}
	var out []string
	for _, l := range is.Labels {
		out = append(out, l.GetName())
	}
	return out
}

// IssueCommentBodies returns the bodies of an issue's comments, by id.
func (s *Server) IssueCommentBodies(repo string, number int) map[int64]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64]string{}
	for id, c := range s.repo(repo).Comments {
		if issueOfComment(c) == number {
			out[id] = c.GetBody()
		}
	}
	return out
}

// SetAppKey makes the fake sell installation tokens to JWTs signed by
// key for app appID, each valid for life.
func (s *Server) SetAppKey(appID int64, key *rsa.PublicKey, life time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appID, s.appKey, s.tokenLife = appID, key, life
}

// issueOfComment reads the issue number of a comment from its issue_url.
func issueOfComment(c *gh.IssueComment) int {
	u := c.GetIssueURL()
	n, _ := strconv.Atoi(u[strings.LastIndex(u, "/")+1:])
	return n
}

func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

// commentRequest reads and records a comment's body; bad is the 422 of a
// body that is not one.
func commentRequest(r *http.Request, record func(*http.Request, []byte)) (req gh.IssueCommentRequest, bad *result) {
	body, _ := readBody(r)
	record(r, body)
	if err := json.Unmarshal(body, &req); err != nil {
		v := validation("body: " + err.Error())
		return req, &v
	}
	return req, nil
}

// writeRoute maps the paths of triage's calls (and the App token
// exchange) to handlers; ok is false for other paths.
func (s *Server) writeRoute(method, path string) (kind string, h handlerFunc, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 4 && parts[0] == "app" && parts[1] == "installations" && parts[3] == "access_tokens" && method == http.MethodPost {
		return "app_token", func(r *http.Request, now time.Time) result { return s.appToken(r, parts[2], now) }, true
	}
	if len(parts) < 5 || parts[0] != "repos" || parts[3] != "issues" {
		return "", nil, false
	}
	repo := s.repos[strings.ToLower(parts[1]+"/"+parts[2])]
	if repo == nil {
		return "", nil, false
	}
	rest := parts[4:]
	record := func(r *http.Request, body []byte) {
		s.calls = append(s.calls, Call{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/api/v3"), Body: string(body)})
	}
	switch {
	case len(rest) == 1 && rest[0] != "comments" && method == http.MethodGet:
		n, _ := strconv.Atoi(rest[0])
		return "issue", func(r *http.Request, now time.Time) result {
			if is := repo.Issues[n]; is != nil {
				return jsonResult(http.StatusOK, is)
			}
			return notFound()
		}, true
	case len(rest) == 2 && rest[1] == "labels" && method == http.MethodPost:
		n, _ := strconv.Atoi(rest[0])
		return "add_labels", func(r *http.Request, now time.Time) result {
			body, _ := readBody(r)
			record(r, body)
			is := repo.Issues[n]
			if is == nil {
				return notFound()
			}
			var req struct {
				Labels []string `json:"labels"`
			}
			var names []string
			if err := json.Unmarshal(body, &names); err != nil {
				if err := json.Unmarshal(body, &req); err != nil {
					return validation("body: " + err.Error())
				}
				names = req.Labels
			}
			for _, name := range names {
				has := false
				for _, l := range is.Labels {
					has = has || strings.EqualFold(l.GetName(), name)
				}
				if !has {
					is.Labels = append(is.Labels, &gh.Label{Name: name})
				}
			}
			is.UpdatedAt = &gh.Timestamp{Time: now.Truncate(time.Second)}
			return jsonResult(http.StatusOK, is.Labels)
		}, true
	case len(rest) == 2 && rest[1] == "comments" && rest[0] != "comments":
		n, _ := strconv.Atoi(rest[0])
		if method == http.MethodGet {
			return "issue_comments", func(r *http.Request, now time.Time) result {
				var all []*gh.IssueComment
				for _, c := range repo.Comments {
					if issueOfComment(c) == n {
						all = append(all, c)
					}
				}
				sort.Slice(all, func(i, j int) bool { return all[i].GetID() < all[j].GetID() })
				if all == nil {
					all = []*gh.IssueComment{}
				}
				p, err := parseList(r.URL.Query(), "created")
				if err != nil {
					return validation(err.Error())
				}
				return listPage(s, r, p, all, nil)
			}, true
		}
		if method == http.MethodPost {
			return "create_comment", func(r *http.Request, now time.Time) result {
				req, bad := commentRequest(r, record)
				is := repo.Issues[n]
				switch {
				case is == nil:
					return notFound()
				case bad != nil:
					return *bad
				}
				s.nextComment++
				id := int64(900000 + s.nextComment)
				ts := gh.Timestamp{Time: now.Truncate(time.Second)}
				c := &gh.IssueComment{ID: gh.Ptr(id), Body: gh.Ptr(req.Body), IssueURL: is.URL, CreatedAt: &ts, UpdatedAt: &ts,
					User: &gh.User{Login: gh.Ptr("bugscope[bot]"), Type: gh.Ptr("Bot")}}
				repo.Comments[id] = c
				return jsonResult(http.StatusCreated, c)
			}, true
		}
	case len(rest) == 2 && rest[0] == "comments" && method == http.MethodPatch:
		id, _ := strconv.ParseInt(rest[1], 10, 64)
		return "edit_comment", func(r *http.Request, now time.Time) result {
			req, bad := commentRequest(r, record)
			c := repo.Comments[id]
			switch {
			case c == nil:
				return notFound()
			case bad != nil:
				return *bad
			}
			c.Body = gh.Ptr(req.Body)
			c.UpdatedAt = &gh.Timestamp{Time: now.Truncate(time.Second)}
			return jsonResult(http.StatusOK, c)
		}, true
	}
	return "", nil, false
}

// appToken sells an installation token for a valid app JWT.
func (s *Server) appToken(r *http.Request, installation string, now time.Time) result {
	s.calls = append(s.calls, Call{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/api/v3")})
	unauthorized := result{status: http.StatusUnauthorized, header: http.Header{}, body: []byte(`{"message":"A JSON web token could not be decoded","status":"401"}`)}
	if s.appKey == nil {
		return unauthorized
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return unauthorized
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return s.appKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithIssuer(strconv.FormatInt(s.appID, 10)))
	if err != nil {
		return unauthorized
	}
	s.nextToken++
	tok := fmt.Sprintf("ghs_fake%d_%s", s.nextToken, installation)
	s.appTokens[tok] = now.Add(s.tokenLife)
	exp := gh.Timestamp{Time: now.Add(s.tokenLife)}
	return jsonResult(http.StatusCreated, &gh.InstallationToken{Token: gh.Ptr(tok), ExpiresAt: &exp})
}

// tokenValid reports whether an installation token the fake sold is
// still valid (other tokens are not checked).
func (s *Server) tokenValid(auth string, now time.Time) bool {
	tok, _ := strings.CutPrefix(auth, "Bearer ")
	tok, _ = strings.CutPrefix(tok, "token ")
	if !strings.HasPrefix(tok, "ghs_fake") {
		return true
	}
	exp, ok := s.appTokens[tok]
	return ok && now.Before(exp)
}
