package github

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope"
)

// MaxText bounds the title, body and comment text stored from a
// response: GitHub itself stops at 65,536 characters, so only a broken or
// hostile server sends more.
const MaxText = 1 << 20

// Issue converts an issue (or pull request: the issues listing returns
// both) of repo to bugscope's type.
func Issue(repo string, i *gh.Issue) bugscope.Issue {
	is := bugscope.Issue{
		Repo:              repo,
		Number:            i.GetNumber(),
		Title:             bound(i.GetTitle()),
		Body:              bound(i.GetBody()),
		State:             strings.ToLower(i.GetState()),
		AuthorAssociation: i.GetAuthorAssociation(),
		CreatedAt:         timeOf(i.CreatedAt),
		UpdatedAt:         timeOf(i.UpdatedAt),
		ClosedAt:          timeOf(i.ClosedAt),
		Comments:          i.GetComments(),
		URL:               i.GetHTMLURL(),
		IsPullRequest:     i.PullRequestLinks != nil,
	}
	if is.State != "open" && is.State != "closed" {
		is.State = ""
	}
	if i.Reactions != nil {
		is.Reactions = i.Reactions.GetTotalCount()
	}
	for _, l := range i.Labels {
		if name := l.GetName(); name != "" {
			is.Labels = append(is.Labels, name)
		}
	}
	return is
}

// MergedAt returns when the pull request an issue-listing entry stands
// for was merged, or nil (not a pull request, or not merged).
func MergedAt(i *gh.Issue) *time.Time {
	if i.PullRequestLinks == nil {
		return nil
	}
	return timeOf(i.PullRequestLinks.MergedAt)
}

// Comment converts a comment of repo. ok is false when the comment does
// not name its issue.
func Comment(repo string, c *gh.IssueComment) (bugscope.Comment, bool) {
	n := IssueNumberOfURL(c.GetIssueURL())
	if n == 0 || c.ID == nil {
		return bugscope.Comment{}, false
	}
	return bugscope.Comment{
		Repo:              repo,
		IssueNumber:       n,
		ID:                c.GetID(),
		Author:            c.GetUser().GetLogin(),
		AuthorAssociation: c.GetAuthorAssociation(),
		Body:              bound(c.GetBody()),
		CreatedAt:         timeOf(c.CreatedAt),
		UpdatedAt:         timeOf(c.UpdatedAt),
		URL:               c.GetHTMLURL(),
	}, true
}

// IssueNumberOfURL returns N of an issue's API URL
// (https://api.github.com/repos/o/r/issues/N), or 0.
func IssueNumberOfURL(s string) int {
	u, err := url.Parse(s)
	if err != nil {
		return 0
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] != "issues" && parts[len(parts)-2] != "pulls" {
		return 0
	}
	n, err := strconv.Atoi(parts[len(parts)-1])
	if err != nil || n <= 0 || n > 1<<31-1 {
		return 0
	}
	return n
}

// RepoOfURL returns owner/name of a repository API or web URL
// (…/repos/o/r[/…] or https://github.com/o/r[/…]), or "".
func RepoOfURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i, p := range parts {
		if p == "repos" && i+2 < len(parts) {
			repo := parts[i+1] + "/" + parts[i+2]
			if bugscope.ValidateRepo(repo) == nil {
				return repo
			}
			return ""
		}
	}
	if len(parts) >= 2 {
		repo := parts[0] + "/" + parts[1]
		if bugscope.ValidateRepo(repo) == nil {
			return repo
		}
	}
	return ""
}

func timeOf(t *gh.Timestamp) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// bound cuts text to MaxText bytes at a character boundary, and stores
// NUL, which SQLite's text functions take for the end of a text, and
// invalid UTF-8 as U+FFFD, as the importer does.
func bound(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= MaxText {
		return s
	}
	cut := MaxText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
