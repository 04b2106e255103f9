package githubtest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v92/github"
)

// Spec describes a generated repository.
type Spec struct {
	Issues   int // issues (not pull requests)
	Pulls    int // pull requests, numbered among the issues
	Comments int // comments, spread over the issues
	Seed     uint64
	// Items open from Start over Span (default: 2024-01-01 over a year);
	// every time stays before End.
	Start time.Time
	Span  time.Duration
	// FixShare is the share of merged pull requests whose description
	// closes an issue (default 0.5).
	FixShare float64
	// TimelineFixes closed issues are fixed by a merged pull request that
	// only their timeline shows (half by cross-reference, half by the
	// closing commit).
	TimelineFixes int
	// Ties items share one updated_at second.
	Ties int
}

// Generated is what Generate made, to check a sync against.
type Generated struct {
	Repo string
	// BodyFixes: issue -> merged pull requests whose description closes it.
	BodyFixes map[int][]int
	// TimelineFixes: issue -> the pull request its timeline shows
	// (cross-reference), CommitFixes: the one its closing commit is in.
	TimelineFixes map[int]int
	CommitFixes   map[int]int
	// Sizes: pull request -> additions, deletions, changed files.
	Sizes map[int][3]int
}

var labelPool = []string{"bug", "enhancement", "question", "documentation", "performance", "stale", "good first issue"}

var titles = []string{
	"CUDA out of memory when serving %s with tensor parallel",
	"Server hangs after %d concurrent requests",
	"Wrong output tokens with quantized %s",
	"NCCL timeout on multi-node setup (%d GPUs)",
	"Feature request: support for %s",
	"Segfault in attention kernel with batch size %d",
	"How do I configure %s?",
	"Docs: typo in the %s guide",
}

var models = []string{"Llama-3-70B", "Qwen2-72B", "Mixtral-8x7B", "DeepSeek-V3", "gemma-2-27b"}

// Generate fills repo with a deterministic, realistic repository and
// returns what it made. All times lie before the clock's now.
func (s *Server) Generate(repo string, spec Spec) Generated {
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec.Start.IsZero() {
		spec.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if spec.Span == 0 {
		spec.Span = 365 * 24 * time.Hour
	}
	if spec.FixShare == 0 {
		spec.FixShare = 0.5
	}
	end := spec.Start.Add(spec.Span)
	if now := s.clock.Now(); !end.Before(now) {
		panic(fmt.Sprintf("githubtest: generated times (to %s) must lie before the clock (%s)", end, now))
	}
	rng := rand.New(rand.NewPCG(spec.Seed, uint64(len(repo))*7919+spec.Seed))
	r := s.repo(repo)
	g := Generated{Repo: repo, BodyFixes: map[int][]int{}, TimelineFixes: map[int]int{}, CommitFixes: map[int]int{}, Sizes: map[int][3]int{}}
	total := spec.Issues + spec.Pulls
	base := len(r.Issues)
	isPull := make([]bool, total)
	for i := range spec.Pulls {
		isPull[i] = true
	}
	rng.Shuffle(total, func(i, j int) { isPull[i], isPull[j] = isPull[j], isPull[i] })
	apiBase := strings.TrimSuffix(s.URL, "/") + "/repos/" + repo
	web := "https://github.com/" + repo
	at := func(t time.Time) *gh.Timestamp { return &gh.Timestamp{Time: t.UTC().Truncate(time.Second)} }
	between := func(a, b time.Time) time.Time {
		if !b.After(a) {
			return a
		}
		return a.Add(time.Duration(rng.Int64N(int64(b.Sub(a)))))
	}

	type closedIssue struct {
		n       int
		created time.Time
	}
	var unfixed []closedIssue // closed-as-completed issues not yet fixed, by number
	var merged []int          // merged pull requests without a fix
	for i := range total {
		n := base + i + 1
		created := spec.Start.Add(time.Duration(int64(spec.Span) / int64(total+1) * int64(i+1)))
		login := fmt.Sprintf("user%d", rng.IntN(500))
		is := &gh.Issue{
			ID:                gh.Ptr(int64(1_000_000 + n)),
			NodeID:            gh.Ptr(fmt.Sprintf("I_kwDO%08d", n)),
			Number:            gh.Ptr(n),
			URL:               gh.Ptr(fmt.Sprintf("%s/issues/%d", apiBase, n)),
			RepositoryURL:     gh.Ptr(apiBase),
			CommentsURL:       gh.Ptr(fmt.Sprintf("%s/issues/%d/comments", apiBase, n)),
			EventsURL:         gh.Ptr(fmt.Sprintf("%s/issues/%d/events", apiBase, n)),
			LabelsURL:         gh.Ptr(fmt.Sprintf("%s/issues/%d/labels{/name}", apiBase, n)),
			HTMLURL:           gh.Ptr(fmt.Sprintf("%s/issues/%d", web, n)),
			User:              &gh.User{Login: gh.Ptr(login), ID: gh.Ptr(int64(rng.IntN(1e6))), Type: gh.Ptr("User")},
			State:             gh.Ptr("open"),
			Locked:            gh.Ptr(false),
			AuthorAssociation: gh.Ptr([]string{"NONE", "CONTRIBUTOR", "MEMBER", "FIRST_TIME_CONTRIBUTOR"}[rng.IntN(4)]),
			Comments:          gh.Ptr(0),
			CreatedAt:         at(created),
			Reactions:         &gh.Reactions{TotalCount: gh.Ptr(rng.IntN(5))},
		}
		t := titles[rng.IntN(len(titles))]
		if strings.Contains(t, "%d") {
			is.Title = gh.Ptr(fmt.Sprintf(t, 2+rng.IntN(60)))
		} else {
			is.Title = gh.Ptr(fmt.Sprintf(t, models[rng.IntN(len(models))]))
		}
		for _, l := range labelPool {
			if rng.IntN(4) == 0 {
				is.Labels = append(is.Labels, &gh.Label{ID: int64(len(l)), Name: l, Color: "d73a4a", Default: l == "bug",
					URL: apiBase + "/labels/" + l, NodeID: "LA_" + l})
			}
		}
		updated := between(created, end)
		if isPull[i] {
			is.HTMLURL = gh.Ptr(fmt.Sprintf("%s/pull/%d", web, n))
			is.PullRequestLinks = &gh.PullRequestLinks{
				URL:     gh.Ptr(fmt.Sprintf("%s/pulls/%d", apiBase, n)),
				HTMLURL: gh.Ptr(fmt.Sprintf("%s/pull/%d", web, n)),
				DiffURL: gh.Ptr(fmt.Sprintf("%s/pull/%d.diff", web, n)),
			}
			is.Body = gh.Ptr("## Purpose\n\nThis change makes the scheduler sturdier.\n\n<!-- Link the issue: Fixes #1 -->\n")
			pr := &gh.PullRequest{Number: gh.Ptr(n), State: gh.Ptr("open"), Title: is.Title, HTMLURL: is.HTMLURL,
				URL: is.PullRequestLinks.URL, Merged: gh.Ptr(false), CreatedAt: is.CreatedAt}
			switch x := rng.Float64(); {
			case x < 0.7: // merged
				m := between(created, end)
				mt := at(m)
				is.State, is.ClosedAt, is.PullRequestLinks.MergedAt = gh.Ptr("closed"), mt, mt
				size := [3]int{1 + rng.IntN(400), rng.IntN(200), 1 + rng.IntN(12)}
				g.Sizes[n] = size
				pr.State, pr.Merged, pr.MergedAt, pr.ClosedAt = gh.Ptr("closed"), gh.Ptr(true), mt, mt
				pr.Additions, pr.Deletions, pr.ChangedFiles = gh.Ptr(size[0]), gh.Ptr(size[1]), gh.Ptr(size[2])
				pr.MergeCommitSHA = gh.Ptr(fmt.Sprintf("%040x", 0xc0ffee000000+n))
				updated = between(m, end)
				// Fix an earlier closed issue by its description.
				fixed := false
				if rng.Float64() < spec.FixShare {
					for j := len(unfixed) - 1; j >= 0; j-- {
						if unfixed[j].created.Before(m) {
							k := unfixed[j].n
							unfixed = append(unfixed[:j], unfixed[j+1:]...)
							is.Body = gh.Ptr(*is.Body + "\n" + closingLine(rng, repo, k))
							g.BodyFixes[k] = append(g.BodyFixes[k], n)
							fixIssue(r.Issues[k], mt, at, between(m, end))
							fixed = true
							break
						}
					}
				}
				if !fixed {
					merged = append(merged, n)
				}
			case x < 0.85: // closed without merging; its description names an issue, which does not count
				c := at(between(created, end))
				is.State, is.ClosedAt = gh.Ptr("closed"), c
				pr.State, pr.ClosedAt = gh.Ptr("closed"), c
				if len(unfixed) > 0 {
					is.Body = gh.Ptr(*is.Body + fmt.Sprintf("\nFixes #%d\n", unfixed[0].n))
				}
				updated = between(c.Time, end)
			}
			r.Pulls[n] = pr
		} else {
			is.Body = gh.Ptr(fmt.Sprintf("### Your current environment\n\nvLLM 0.6.%d, CUDA 12.%d\n\n### Describe the bug\n\n```\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate %d MiB\n```\n",
				rng.IntN(9), rng.IntN(6), 64<<rng.IntN(6)))
			if rng.Float64() < 0.6 {
				c := between(created, end)
				is.State, is.ClosedAt = gh.Ptr("closed"), at(c)
				if rng.IntN(5) == 0 {
					is.StateReason = gh.Ptr("not_planned")
				} else {
					is.StateReason = gh.Ptr("completed")
					unfixed = append(unfixed, closedIssue{n, created})
				}
				updated = between(c, end)
			}
		}
		is.UpdatedAt = at(updated)
		r.Issues[n] = is
	}
	// Issues that only their timeline shows fixed.
	for i := 0; i < spec.TimelineFixes && len(unfixed) > 0 && len(merged) > 0; i++ {
		k, q := unfixed[0].n, merged[0]
		unfixed, merged = unfixed[1:], merged[1:]
		prIssue := r.Issues[q]
		mt := prIssue.PullRequestLinks.MergedAt
		if mt.Before(r.Issues[k].GetCreatedAt().Time) {
			continue
		}
		fixIssue(r.Issues[k], mt, at, between(mt.Time, end))
		sha := r.Pulls[q].GetMergeCommitSHA()
		events := []*gh.Timeline{
			{Event: gh.Ptr("labeled"), Label: &gh.Label{Name: "bug"}, CreatedAt: r.Issues[k].CreatedAt},
		}
		if i%2 == 0 {
			events = append(events,
				&gh.Timeline{Event: gh.Ptr("cross-referenced"), CreatedAt: prIssue.CreatedAt,
					Source: &gh.Source{Type: gh.Ptr("issue"), Issue: prIssue}},
				&gh.Timeline{Event: gh.Ptr("closed"), CreatedAt: mt})
			g.TimelineFixes[k] = q
		} else {
			events = append(events, &gh.Timeline{Event: gh.Ptr("closed"), CommitID: gh.Ptr(sha), CreatedAt: mt})
			r.CommitPulls[sha] = append(r.CommitPulls[sha], q)
			g.CommitFixes[k] = q
		}
		r.Timelines[k] = events
	}
	// Comments, on issues and pull requests.
	nums := make([]int, 0, len(r.Issues))
	for n := range r.Issues {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for i := 0; i < spec.Comments && len(nums) > 0; i++ {
		n := nums[rng.IntN(len(nums))]
		is := r.Issues[n]
		id := int64(5_000_000 + len(r.Comments) + 1)
		created := between(is.GetCreatedAt().Time, end)
		c := &gh.IssueComment{
			ID:                gh.Ptr(id),
			Body:              gh.Ptr(fmt.Sprintf("Same here with %s (comment %d).", models[rng.IntN(len(models))], id)),
			User:              &gh.User{Login: gh.Ptr(fmt.Sprintf("user%d", rng.IntN(500)))},
			AuthorAssociation: gh.Ptr("NONE"),
			CreatedAt:         at(created),
			UpdatedAt:         at(between(created, end)),
			URL:               gh.Ptr(fmt.Sprintf("%s/issues/comments/%d", apiBase, id)),
			HTMLURL:           gh.Ptr(fmt.Sprintf("%s#issuecomment-%d", is.GetHTMLURL(), id)),
			IssueURL:          is.URL,
		}
		r.Comments[id] = c
		is.Comments = gh.Ptr(is.GetComments() + 1)
		if c.UpdatedAt.After(is.GetUpdatedAt().Time) {
			is.UpdatedAt = c.UpdatedAt
		}
	}
	// Ties: items sharing one updated_at second.
	if spec.Ties > 1 {
		tie := at(spec.Start.Add(spec.Span * 9 / 10))
		tied := 0
		for _, n := range nums {
			is := r.Issues[n]
			if tied == spec.Ties || is.GetCreatedAt().After(tie.Time) || is.ClosedAt != nil && is.ClosedAt.After(tie.Time) {
				continue
			}
			is.UpdatedAt = tie
			tied++
		}
	}
	return g
}

// fixIssue closes issue k as completed at mt, as merging its fix does.
func fixIssue(is *gh.Issue, mt *gh.Timestamp, at func(time.Time) *gh.Timestamp, updated time.Time) {
	is.State, is.StateReason, is.ClosedAt = gh.Ptr("closed"), gh.Ptr("completed"), mt
	if is.GetUpdatedAt().Before(mt.Time) {
		is.UpdatedAt = at(updated)
	}
}

// closingLine writes a closing reference in one of GitHub's forms.
func closingLine(rng *rand.Rand, repo string, k int) string {
	switch rng.IntN(4) {
	case 0:
		return fmt.Sprintf("Fixes #%d", k)
	case 1:
		return fmt.Sprintf("closes: %s#%d", repo, k)
	case 2:
		return fmt.Sprintf("Resolves https://github.com/%s/issues/%d", repo, k)
	}
	return fmt.Sprintf("FIX #%d (the crash)", k)
}
