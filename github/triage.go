package github

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/triage"
)

// The client makes triage's calls.
var _ triage.GitHub = (*Client)(nil)

// maxCommentPages bounds the pages of comments read to find bugscope's
// own (100 a page).
const maxCommentPages = 30

func split(repo string) (string, string) {
	owner, name, _ := strings.Cut(repo, "/")
	return owner, name
}

// IssueState reads an issue's labels and author as GitHub holds them now.
func (c *Client) IssueState(ctx context.Context, ref bugscope.IssueRef) (triage.IssueState, error) {
	owner, name := split(ref.Repo)
	is, _, err := c.GH.Issues.Get(ctx, owner, name, ref.Number)
	if err != nil {
		return triage.IssueState{}, callError("read "+ref.String(), err)
	}
	st := triage.IssueState{Author: is.GetUser().GetLogin(), IsBot: triage.IsBot(is.GetUser().GetLogin(), is.GetUser().GetType())}
	for _, l := range is.Labels {
		st.Labels = append(st.Labels, l.GetName())
	}
	return st, nil
}

// AddLabels adds labels to an issue (GitHub keeps the ones it has).
func (c *Client) AddLabels(ctx context.Context, ref bugscope.IssueRef, labels []string) error {
	owner, name := split(ref.Repo)
	_, _, err := c.GH.Issues.AddLabelsToIssue(ctx, owner, name, ref.Number, labels)
	return callError("label "+ref.String(), err)
}

// IssueComments lists an issue's comments, oldest first.
func (c *Client) IssueComments(ctx context.Context, ref bugscope.IssueRef) ([]triage.Comment, error) {
	owner, name := split(ref.Repo)
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	var out []triage.Comment
	for page := 0; page < maxCommentPages; page++ {
		cs, resp, err := c.GH.Issues.ListComments(ctx, owner, name, ref.Number, opt)
		if err != nil {
			return nil, callError("read the comments of "+ref.String(), err)
		}
		for _, x := range cs {
			out = append(out, triage.Comment{ID: x.GetID(), Body: x.GetBody(), Author: x.GetUser().GetLogin()})
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	return out, nil
}

// CreateComment posts a comment and returns its id.
func (c *Client) CreateComment(ctx context.Context, ref bugscope.IssueRef, body string) (int64, error) {
	owner, name := split(ref.Repo)
	cm, _, err := c.GH.Issues.CreateComment(ctx, owner, name, ref.Number, gh.IssueCommentRequest{Body: body})
	if err != nil {
		return 0, callError("comment on "+ref.String(), err)
	}
	return cm.GetID(), nil
}

// EditComment replaces a comment's body.
func (c *Client) EditComment(ctx context.Context, repo string, id int64, body string) error {
	owner, name := split(repo)
	_, _, err := c.GH.Issues.UpdateComment(ctx, owner, name, id, gh.IssueCommentRequest{Body: body})
	return callError(fmt.Sprintf("edit comment %d of %s", id, repo), err)
}

// callError gives a failed call its kind.
func callError(what string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var rl *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &abuse) || StatusOf(err) == 429 {
		// The transport waits out limits of reads; a write refused for a
		// limit waits in triage's queue.
		return bugscope.Errorf(bugscope.EUnavailable, "%s: GitHub's rate limit: %w", what, err)
	}
	switch s := StatusOf(err); {
	case s == 404:
		return bugscope.Errorf(bugscope.ENotFound, "%s: not found (or the credentials cannot see it): %w", what, err)
	case s == 401:
		return bugscope.Errorf(bugscope.EUnauthorized, "%s: the credentials were refused: %w", what, err)
	case s == 403:
		return bugscope.Errorf(bugscope.EForbidden, "%s: GitHub refused (the token or app needs issues: write): %w", what, err)
	case s == 422:
		return bugscope.Errorf(bugscope.EInvalid, "%s: GitHub refused the request: %w", what, err)
	case s == 0 || s >= 500:
		return bugscope.Errorf(bugscope.EUnavailable, "%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
