package triage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// Issues is what triage reads and writes of the stored issues; package
// sqlite implements it.
type Issues interface {
	UpsertIssues(ctx context.Context, issues []bugscope.Issue, progress func()) (bugscope.UpsertStats, error)
	Issue(ctx context.Context, ref bugscope.IssueRef) (bugscope.Issue, error)
	ClassificationsOf(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.Classification, error)
	Signals(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.Signal, error)
}

// Service triages issues: from the command line (Triage) and from the
// webhook's queue (Run).
type Service struct {
	Store  Store
	Issues Issues
	Config *Config
	Tax    *taxonomy.Taxonomy
	// Classify runs the classifiers on one stored issue and stores their
	// labels and its signals (pipeline.Classify, as bugscope classify
	// does).
	Classify func(ctx context.Context, ref bugscope.IssueRef) error
	// GitHub is called in apply mode only; nil refuses apply.
	GitHub GitHub
	// Logf, when set, logs what the worker does, and in dry-run mode the
	// calls it would make.
	Logf func(format string, args ...any)
	Now  func() time.Time
	// Idle is how long Run waits for a wake-up before looking at the
	// queue again (default 2 s).
	Idle time.Duration
	// CacheSimilar keeps each repository's similar-issue index and fixes
	// for the Service's life: for a command that triages many stored
	// issues at once (the worker builds them anew for each delivery).
	CacheSimilar bool
	cache        map[string]*RepoIndex
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// TriageOptions control Triage.
type TriageOptions struct {
	// Reclassify runs the classifiers on the issue first (always when it
	// has no classification).
	Reclassify bool
	// IsBot says the issue was opened by a bot (from a webhook payload).
	IsBot bool
	// Labels, when not nil, are the labels the issue carries now on GitHub
	// (the stored ones are used otherwise).
	Labels []string
}

// Triage decides for one stored issue and stores the decision. Nothing is
// sent to GitHub (see Act).
func (s *Service) Triage(ctx context.Context, ref bugscope.IssueRef, o TriageOptions) (Decision, error) {
	is, err := s.Issues.Issue(ctx, ref)
	if err != nil {
		return Decision{}, err
	}
	cls, err := s.classification(ctx, ref, o.Reclassify)
	if err != nil {
		return Decision{}, err
	}
	repo, ok := s.Config.Repo(ref.Repo)
	if !ok {
		repo = Repo{Name: ref.Repo, Entry: "", Mode: ModeShadow}
	}
	if o.Labels != nil {
		is.Labels = o.Labels
	}
	sigs, err := s.Issues.Signals(ctx, ref)
	if err != nil {
		return Decision{}, err
	}
	similar, err := s.similar(ctx, is, sigs, max(repo.Similar, DefaultSimilar))
	if err != nil {
		return Decision{}, err
	}
	in := Input{Tax: s.Tax, Repo: repo, Issue: is, Classification: cls, IsBot: o.IsBot, Similar: similar, Now: s.now()}
	if g, err := s.Store.LatestGate(ctx); err == nil {
		in.Gate = &g
	} else if bugscope.ErrorCode(err) != bugscope.ENotFound {
		return Decision{}, err
	}
	if in.Applied, err = s.Store.Applied(ctx, ref); err != nil {
		return Decision{}, err
	}
	fb, err := s.Store.Feedback(ctx, []string{ref.Repo})
	if err != nil {
		return Decision{}, err
	}
	for _, f := range fb {
		if f.Issue == ref && f.Action == FeedbackRemoved {
			in.Removed = append(in.Removed, f.Label)
		}
	}
	d := Decide(in)
	if !ok {
		d.Skipped = "the configuration has no entry for " + ref.Repo
	}
	if err := s.Store.SaveDecision(ctx, d); err != nil {
		return Decision{}, err
	}
	return d, nil
}

// classification returns the configured (or best) classifier's stored
// labels of an issue, classifying it first when asked or needed.
func (s *Service) classification(ctx context.Context, ref bugscope.IssueRef, reclassify bool) (bugscope.Classification, error) {
	for attempt := 0; ; attempt++ {
		if reclassify || attempt > 0 {
			if s.Classify == nil {
				return bugscope.Classification{}, bugscope.Errorf(bugscope.EConflict, "%s is not classified: run bugscope classify", ref)
			}
			if err := s.Classify(ctx, ref); err != nil {
				return bugscope.Classification{}, err
			}
		}
		cls, err := s.Issues.ClassificationsOf(ctx, ref)
		if err != nil {
			return bugscope.Classification{}, err
		}
		var have []string
		for _, c := range cls {
			if c.Taxonomy == s.Tax.Name {
				have = append(have, c.Classifier)
			}
		}
		if len(have) == 0 && attempt == 0 && !reclassify {
			continue
		}
		name, err := bugscope.ChooseClassifier(have, s.Tax.Name, s.Config.Classifier)
		if err != nil {
			return bugscope.Classification{}, err
		}
		for _, c := range cls {
			if c.Taxonomy == s.Tax.Name && c.Classifier == name {
				return c, nil
			}
		}
	}
}

func (s *Service) similar(ctx context.Context, is bugscope.Issue, sigs []bugscope.Signal, limit int) ([]Similar, error) {
	ri := s.cache[is.Repo]
	if ri == nil {
		var err error
		if ri, err = LoadRepoIndex(ctx, s.Store, is.Repo); err != nil {
			return nil, err
		}
		if s.CacheSimilar {
			if s.cache == nil {
				s.cache = map[string]*RepoIndex{}
			}
			s.cache[is.Repo] = ri
		}
	}
	return ri.Similar(CandidateOf(is, sigs), limit), nil
}

// Act makes (apply) or logs (dry-run) the GitHub calls of a decision.
// Every call is recorded before it is made and its outcome after; when a
// crash left a call unfinished, GitHub's state is read before anything is
// repeated, so that no label is added twice and no second comment posted.
func (s *Service) Act(ctx context.Context, d Decision, deliveryID string) error {
	repo, ok := s.Config.Repo(d.Issue.Repo)
	if !ok || d.Skipped != "" {
		return nil
	}
	switch repo.Mode {
	case ModeShadow:
		return nil
	case ModeDryRun:
		return s.dryRun(ctx, d, repo, deliveryID)
	}
	if s.GitHub == nil {
		return bugscope.Errorf(bugscope.EUnauthorized, "%s is in apply mode but no GitHub credentials are set (GITHUB_TOKEN, GH_TOKEN or a GitHub App)", d.Issue.Repo)
	}
	now, err := s.GitHub.IssueState(ctx, d.Issue)
	if err != nil {
		return err
	}
	applied, err := s.Store.Applied(ctx, d.Issue)
	if err != nil {
		return err
	}
	// Labels a crash left unrecorded: added on GitHub, not yet stored.
	prior, err := s.Store.Actions(ctx, d.Issue)
	if err != nil {
		return err
	}
	var recovered []Applied
	for _, a := range prior {
		if a.Call != CallAddLabels || a.State != "started" {
			continue
		}
		var labels []string
		_ = json.Unmarshal([]byte(a.Request), &labels)
		for _, l := range labels {
			if hasLabel(now.Labels, l) && !slices.ContainsFunc(applied, func(x Applied) bool { return strings.EqualFold(x.Label, l) }) {
				recovered = append(recovered, appliedOf(repo, l, s.now()))
			}
		}
		if err := s.Store.FinishAction(ctx, a.ID, "done", "recovered: GitHub shows the labels"); err != nil {
			return err
		}
	}
	if len(recovered) > 0 {
		if err := s.Store.SaveApplied(ctx, d.Issue, recovered); err != nil {
			return err
		}
		applied = append(applied, recovered...)
	}
	var add []string
	for _, l := range d.ToApply() {
		if repo.Allowed(l) && !hasLabel(now.Labels, l) {
			add = append(add, l)
		}
	}
	if len(add) > 0 {
		req, _ := json.Marshal(add)
		id, err := s.Store.StartAction(ctx, Action{Issue: d.Issue, DeliveryID: deliveryID, Mode: repo.Mode, Call: CallAddLabels, Request: string(req), State: "started"})
		if err != nil {
			return err
		}
		if err := s.GitHub.AddLabels(ctx, d.Issue, add); err != nil {
			s.Store.FinishAction(ctx, id, "failed", err.Error())
			return err
		}
		var recs []Applied
		for _, l := range add {
			recs = append(recs, appliedOf(repo, l, s.now()))
		}
		if err := s.Store.SaveApplied(ctx, d.Issue, recs); err != nil {
			return err
		}
		applied = append(applied, recs...)
		if err := s.Store.FinishAction(ctx, id, "done", ""); err != nil {
			return err
		}
	}
	if !d.Commented(repo, applied) {
		// Nothing of bugscope's on the issue: no comment, but one posted
		// before is kept current (it must not claim a label since removed).
		if id, _, err := s.Store.TriageComment(ctx, d.Issue); err != nil || id == 0 || !repo.Comment {
			return err
		}
	}
	var ours []string // bugscope's labels the issue still carries
	for _, a := range applied {
		if hasLabel(now.Labels, a.Label) || slices.ContainsFunc(add, func(l string) bool { return strings.EqualFold(l, a.Label) }) {
			ours = append(ours, a.Label)
		}
	}
	slices.Sort(ours)
	return s.comment(ctx, d, repo, deliveryID, CommentBody(s.Tax, d, ours), prior)
}

// comment posts bugscope's one comment or edits it in place.
func (s *Service) comment(ctx context.Context, d Decision, repo Repo, deliveryID, body string, prior []Action) error {
	id, hash, err := s.Store.TriageComment(ctx, d.Issue)
	if err != nil {
		return err
	}
	interrupted := slices.ContainsFunc(prior, func(a Action) bool {
		return (a.Call == CallCreateComment || a.Call == CallEditComment) && a.State == "started"
	})
	if id == 0 || interrupted {
		// Look on GitHub: a crash may have posted it without storing its id.
		cs, err := s.GitHub.IssueComments(ctx, d.Issue)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if IsOurs(c.Body) {
				id, hash = c.ID, BodyHash(c.Body)
				break
			}
		}
		for _, a := range prior {
			if (a.Call == CallCreateComment || a.Call == CallEditComment) && a.State == "started" {
				if err := s.Store.FinishAction(ctx, a.ID, "done", "recovered: read the comment back from GitHub"); err != nil {
					return err
				}
			}
		}
		if id != 0 {
			if err := s.Store.SaveTriageComment(ctx, d.Issue, id, hash); err != nil {
				return err
			}
		}
	}
	newHash := BodyHash(body)
	if id != 0 && hash == newHash {
		return nil // nothing changed
	}
	call := CallCreateComment
	if id != 0 {
		call = CallEditComment
	}
	aid, err := s.Store.StartAction(ctx, Action{Issue: d.Issue, DeliveryID: deliveryID, Mode: repo.Mode, Call: call, Request: fmt.Sprintf(`{"comment_id":%d,"body_sha":%q}`, id, newHash), State: "started"})
	if err != nil {
		return err
	}
	if id == 0 {
		id, err = s.GitHub.CreateComment(ctx, d.Issue, body)
	} else {
		err = s.GitHub.EditComment(ctx, d.Issue.Repo, id, body)
	}
	if err != nil {
		s.Store.FinishAction(ctx, aid, "failed", err.Error())
		return err
	}
	if err := s.Store.SaveTriageComment(ctx, d.Issue, id, newHash); err != nil {
		return err
	}
	return s.Store.FinishAction(ctx, aid, "done", fmt.Sprintf("comment %d", id))
}

// dryRun logs and records the calls apply mode would make, on what the
// database knows (no request is sent).
func (s *Service) dryRun(ctx context.Context, d Decision, repo Repo, deliveryID string) error {
	add := d.ToApply()
	if len(add) > 0 {
		req, _ := json.Marshal(add)
		s.logf("dry-run: POST /repos/%s/issues/%d/labels %s", d.Issue.Repo, d.Issue.Number, req)
		if _, err := s.Store.StartAction(ctx, Action{Issue: d.Issue, DeliveryID: deliveryID, Mode: repo.Mode, Call: CallAddLabels, Request: string(req), State: "dry-run"}); err != nil {
			return err
		}
	}
	if !d.Commented(repo, nil) {
		return nil
	}
	id, _, err := s.Store.TriageComment(ctx, d.Issue)
	if err != nil {
		return err
	}
	body := CommentBody(s.Tax, d, add)
	call, line := CallCreateComment, fmt.Sprintf("POST /repos/%s/issues/%d/comments (%d bytes)", d.Issue.Repo, d.Issue.Number, len(body))
	if id != 0 {
		call, line = CallEditComment, fmt.Sprintf("PATCH /repos/%s/issues/comments/%d (%d bytes)", d.Issue.Repo, id, len(body))
	}
	s.logf("dry-run: %s", line)
	_, err = s.Store.StartAction(ctx, Action{Issue: d.Issue, DeliveryID: deliveryID, Mode: repo.Mode, Call: call, Request: fmt.Sprintf(`{"comment_id":%d,"body_sha":%q}`, id, BodyHash(body)), State: "dry-run"})
	return err
}

func hasLabel(labels []string, l string) bool {
	return slices.ContainsFunc(labels, func(x string) bool { return strings.EqualFold(x, l) })
}

func appliedOf(repo Repo, label string, at time.Time) Applied {
	a := Applied{Label: label, AppliedAt: at.UTC()}
	if ms := repo.MappingsOf(label); len(ms) > 0 {
		a.Dimension, a.Value = ms[0].Dimension, ms[0].Value
	}
	return a
}

// Process handles one delivery of the queue: stores the issue, records a
// maintainer's label change, classifies, decides and acts.
func (s *Service) Process(ctx context.Context, dl Delivery) error {
	if dl.Event != "issues" || !slices.Contains(Triaged, dl.Action) {
		return nil
	}
	ev, err := ParseEvent(dl.Payload)
	if err != nil {
		return err
	}
	repo, ok := s.Config.Repo(ev.Repo)
	if !ok {
		s.logf("%s: no configuration entry; ignored", DescribeEvent(ev))
		return nil
	}
	if ev.Issue.IsPullRequest {
		return nil
	}
	if _, err := s.Issues.UpsertIssues(ctx, []bugscope.Issue{ev.Issue}, nil); err != nil {
		return err
	}
	if ev.Action == "labeled" || ev.Action == "unlabeled" {
		if err := s.feedback(ctx, dl, ev, repo); err != nil {
			return err
		}
	}
	d, err := s.Triage(ctx, ev.Issue.Ref(), TriageOptions{Reclassify: ev.Action != "labeled" && ev.Action != "unlabeled", IsBot: ev.AuthorIsBot, Labels: nonNil(ev.Issue.Labels)})
	if err != nil {
		return err
	}
	s.logf("%s: %s", DescribeEvent(ev), summary(d))
	return s.Act(ctx, d, dl.DeliveryID)
}

// feedback stores what a maintainer did to a mapped label: removed one
// bugscope applied, or added one by hand. Bots' changes, and bugscope's
// own, are not feedback.
func (s *Service) feedback(ctx context.Context, dl Delivery, ev Event, repo Repo) error {
	if ev.SenderIsBot {
		return nil
	}
	ms := repo.MappingsOf(ev.Label)
	if len(ms) == 0 {
		return nil
	}
	applied, err := s.Store.Applied(ctx, ev.Issue.Ref())
	if err != nil {
		return err
	}
	ours := slices.ContainsFunc(applied, func(a Applied) bool { return strings.EqualFold(a.Label, ev.Label) })
	var action string
	switch {
	case ev.Action == "unlabeled" && ours:
		action = FeedbackRemoved
	case ev.Action == "labeled" && !ours:
		action = FeedbackAdded
	default:
		return nil
	}
	var fs []Feedback
	for _, m := range ms {
		fs = append(fs, Feedback{Issue: ev.Issue.Ref(), DeliveryID: dl.DeliveryID, Action: action, Label: ev.Label,
			Dimension: m.Dimension, Value: m.Value, Actor: ev.Sender, CreatedAt: s.now().UTC()})
	}
	return s.Store.SaveFeedback(ctx, fs)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func summary(d Decision) string {
	if d.Skipped != "" {
		return "skipped: " + d.Skipped
	}
	var parts []string
	for _, l := range d.Labels {
		parts = append(parts, l.Label+"="+l.Status)
	}
	if len(parts) == 0 {
		return "no mapped label"
	}
	return strings.Join(parts, ", ")
}

// KeepPayloads is how long the payloads of finished deliveries are kept
// (for a look at what arrived); their ids are kept for good, so that a
// late redelivery is still recognised.
const KeepPayloads = 30 * 24 * time.Hour

// maxAttempts bounds the tries of one delivery (but for GitHub being
// unavailable).
const maxAttempts = 3

// Run drains the queue until ctx is done: deliveries a crash left working
// go back to the queue first; each delivery is processed, then marked
// done (or failed after maxAttempts, with the error). wake, when it
// receives, ends a wait early (the webhook sends on it after queueing).
func (s *Service) Run(ctx context.Context, wake <-chan struct{}) error {
	if n, err := s.Store.RequeueWorking(ctx); err != nil {
		return err
	} else if n > 0 {
		s.logf("triage: %d deliveries interrupted by a stop are queued again", n)
	}
	idle := s.Idle
	if idle <= 0 {
		idle = 2 * time.Second
	}
	var pruned time.Time
	var backoff time.Duration
	for {
		if now := s.now(); now.Sub(pruned) >= time.Hour {
			pruned = now
			if n, err := s.Store.PruneDeliveries(ctx, now.Add(-KeepPayloads)); err != nil && ctx.Err() == nil {
				s.logf("triage: pruning the queue: %v", err)
			} else if n > 0 {
				s.logf("triage: emptied the payloads of %d deliveries older than %v", n, KeepPayloads)
			}
		}
		wait := idle
		if _, err := s.Drain(ctx); ctx.Err() != nil {
			return ctx.Err()
		} else if err != nil {
			s.logf("triage: %v", err)
			if bugscope.ErrorCode(err) == bugscope.EUnavailable {
				// GitHub (or its rate limit) says wait: back off, 1 minute
				// doubling to 30, deaf to new deliveries meanwhile.
				backoff = min(max(2*backoff, time.Minute), 30*time.Minute)
				wait = backoff
				s.logf("triage: waiting %v before trying again", wait)
			}
		} else {
			backoff = 0
		}
		woken := wake
		if backoff > 0 {
			woken = nil // a new delivery does not end a backoff
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-woken:
		case <-t.C:
		}
		t.Stop()
	}
}

// Drain processes queued deliveries until none is pending (or one fails:
// it goes back to the queue, or is marked failed after maxAttempts) and
// returns how many it processed. A stop (ctx done) leaves the delivery in
// hand working: RequeueWorking queues it again at the next start.
func (s *Service) Drain(ctx context.Context) (int, error) {
	n := 0
	for {
		dl, ok, err := s.Store.ClaimDelivery(ctx)
		if err != nil || !ok {
			return n, err
		}
		perr := s.Process(ctx, dl)
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		state, msg := DeliveryDone, ""
		if perr != nil {
			msg = perr.Error()
			state = DeliveryPending
			// GitHub or the network down is no reason to give up: the
			// delivery waits in the queue. Other failures are tried
			// maxAttempts times; a payload that cannot be read, once.
			switch code := bugscope.ErrorCode(perr); {
			case code == bugscope.EInvalid, dl.Attempts >= maxAttempts && code != bugscope.EUnavailable:
				state = DeliveryFailed
			}
		}
		if err := s.Store.FinishDelivery(context.WithoutCancel(ctx), dl.ID, state, msg); err != nil {
			return n, err
		}
		n++
		if perr != nil {
			return n, fmt.Errorf("delivery %s (%s): %w", dl.DeliveryID, dl.Issue, perr)
		}
	}
}
