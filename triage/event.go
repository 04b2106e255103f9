package triage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bugscope/bugscope"
)

// maxText bounds the title and body taken from a payload (GitHub stops
// at 65,536 characters).
const maxText = 1 << 20

// Event is a GitHub `issues` webhook event, as far as triage reads it.
type Event struct {
	Action string
	Repo   string
	Issue  bugscope.Issue
	Author string
	// AuthorIsBot: the issue was opened by a bot.
	AuthorIsBot bool
	// Label is the label of a labeled or unlabeled event.
	Label string
	// Sender is who caused the event; SenderIsBot whether a bot did.
	Sender      string
	SenderIsBot bool
}

// Triaged are the issue actions that (re)triage an issue; labeled and
// unlabeled are read for maintainers' feedback.
var Triaged = []string{"opened", "edited", "reopened", "labeled", "unlabeled"}

type payload struct {
	Action string `json:"action"`
	Issue  *struct {
		Number            int             `json:"number"`
		Title             string          `json:"title"`
		Body              *string         `json:"body"`
		State             string          `json:"state"`
		HTMLURL           string          `json:"html_url"`
		AuthorAssociation string          `json:"author_association"`
		Comments          int             `json:"comments"`
		CreatedAt         *time.Time      `json:"created_at"`
		UpdatedAt         *time.Time      `json:"updated_at"`
		ClosedAt          *time.Time      `json:"closed_at"`
		PullRequest       json.RawMessage `json:"pull_request"`
		Labels            []struct {
			Name string `json:"name"`
		} `json:"labels"`
		User struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"user"`
		Reactions struct {
			TotalCount int `json:"total_count"`
		} `json:"reactions"`
	} `json:"issue"`
	Label *struct {
		Name string `json:"name"`
	} `json:"label"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Sender struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"sender"`
}

// ParseEvent reads the payload of an `issues` event. A payload that is
// not one (no issue, no repository) is an EInvalid error.
func ParseEvent(b []byte) (Event, error) {
	var p payload
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&p); err != nil {
		return Event{}, bugscope.Errorf(bugscope.EInvalid, "issues event: not JSON: %v", err)
	}
	if p.Issue == nil {
		return Event{}, bugscope.Errorf(bugscope.EInvalid, "issues event: no issue")
	}
	if err := bugscope.ValidateRepo(p.Repository.FullName); err != nil {
		return Event{}, bugscope.Errorf(bugscope.EInvalid, "issues event: repository.full_name: %v", err)
	}
	if p.Issue.Number <= 0 {
		return Event{}, bugscope.Errorf(bugscope.EInvalid, "issues event: issue.number %d", p.Issue.Number)
	}
	in := p.Issue
	is := bugscope.Issue{
		Repo: p.Repository.FullName, Number: in.Number, Title: bound(in.Title), State: strings.ToLower(in.State),
		URL: bound(in.HTMLURL), AuthorAssociation: bound(in.AuthorAssociation), Comments: in.Comments,
		CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, ClosedAt: in.ClosedAt, Reactions: in.Reactions.TotalCount,
		IsPullRequest: len(in.PullRequest) > 0 && string(in.PullRequest) != "null",
	}
	if in.Body != nil {
		is.Body = bound(*in.Body)
	}
	if is.State != "open" && is.State != "closed" {
		is.State = ""
	}
	for _, l := range in.Labels {
		if l.Name != "" {
			is.Labels = append(is.Labels, bound(l.Name))
		}
	}
	ev := Event{
		Action: p.Action, Repo: p.Repository.FullName, Issue: is,
		Author: in.User.Login, AuthorIsBot: IsBot(in.User.Login, in.User.Type),
		Sender: p.Sender.Login, SenderIsBot: IsBot(p.Sender.Login, p.Sender.Type),
	}
	if p.Label != nil {
		ev.Label = bound(p.Label.Name)
	}
	if (ev.Action == "labeled" || ev.Action == "unlabeled") && ev.Label == "" {
		return Event{}, bugscope.Errorf(bugscope.EInvalid, "issues event: %s without a label", ev.Action)
	}
	return ev, nil
}

func bound(s string) string {
	if len(s) > maxText {
		s = s[:maxText]
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// DescribeEvent is one line for logs.
func DescribeEvent(ev Event) string {
	s := fmt.Sprintf("%s %s", ev.Issue.Ref(), ev.Action)
	if ev.Label != "" {
		s += fmt.Sprintf(" %q", ev.Label)
	}
	return s
}
