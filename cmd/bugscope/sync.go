package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/mine"
	"github.com/bugscope/bugscope/preset"
	"github.com/bugscope/bugscope/sqlite"
)

// syncFlags are the flags of mining GitHub, shared by sync and study.
type syncFlags struct {
	preset      string
	apiURL      string
	since       string
	labels      []string
	state       string
	limit       int
	maxRequests int
	workers     int
	timeout     time.Duration
	comments    bool
	fixSizes    bool
	timeline    bool
	full        bool
}

func (f *syncFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.preset, "preset", "", "mine a named list of repositories ("+strings.Join(preset.Names(), ", ")+")")
	fl.StringVar(&f.apiURL, "api-url", os.Getenv("GITHUB_API_URL"), "GitHub API address, for GitHub Enterprise: https://HOST (env GITHUB_API_URL; default api.github.com)")
	fl.StringVar(&f.since, "since", "", "a repository's first sync starts at issues updated on or after this date (YYYY-MM-DD or RFC 3339)")
	fl.StringSliceVar(&f.labels, "labels", nil, "only issues and pull requests with all these labels")
	fl.StringVar(&f.state, "state", "all", "all, open or closed")
	fl.IntVar(&f.limit, "limit", 0, "store at most this many issues and pull requests per repository in this run (0: no limit); the next run continues")
	fl.IntVar(&f.maxRequests, "max-requests", 0, "make at most this many requests in this run, retries included (0: no limit); the next run continues")
	fl.IntVar(&f.workers, "workers", 4, "repositories synced at once (at most 4 requests are in flight in all)")
	fl.DurationVar(&f.timeout, "timeout", github.DefaultTimeout, "give up on an answer that has not begun (or a body that stalls) after this long, and retry; a request retries for at most 2 minutes")
	fl.BoolVar(&f.comments, "comments", false, "also store issue and pull-request comments (one request per 100 comments)")
	fl.BoolVar(&f.fixSizes, "fix-sizes", false, "also fetch the size (files, lines) of each fixing pull request, once: one request per pull request")
	fl.BoolVar(&f.timeline, "timeline", false, "read the timeline of closed issues no description links, to find their fix (one request or two per issue)")
	fl.BoolVar(&f.full, "full", false, "read every repository again from --since (or the beginning) instead of from its cursor")
}

// repos resolves the repositories of the arguments and --preset.
func (f *syncFlags) repos(args []string) ([]string, error) {
	var repos []string
	if f.preset != "" {
		rs, err := preset.Get(f.preset)
		if err != nil {
			return nil, usageError("--preset: %v", err)
		}
		repos = append(repos, rs...)
	}
	for _, a := range args {
		for _, r := range strings.Split(a, ",") {
			r = strings.TrimSpace(r)
			if r == "" {
				continue
			}
			if err := bugscope.ValidateRepo(r); err != nil {
				return nil, usageError("%v", err)
			}
			repos = append(repos, r)
		}
	}
	return repos, nil
}

func (f *syncFlags) options(repos []string) (mine.Options, error) {
	opt := mine.Options{Repos: repos, Labels: f.labels, Limit: f.limit, Workers: f.workers,
		Comments: f.comments, FixSizes: f.fixSizes, Timeline: f.timeline, Full: f.full}
	switch f.state {
	case "", "all", "open", "closed":
		opt.State = f.state
	default:
		return opt, usageError("--state %q: want all, open or closed", f.state)
	}
	since, err := parseDate("--since", f.since)
	if err != nil {
		return opt, err
	}
	opt.Since = since
	if f.limit < 0 || f.maxRequests < 0 || f.workers < 0 || f.timeout < 0 {
		return opt, usageError("--limit, --max-requests, --workers and --timeout cannot be negative")
	}
	return opt, nil
}

// sync mines repos into db, with a live display on a terminal.
func (a *app) sync(ctx context.Context, db mine.Store, f *syncFlags, opt mine.Options) (mine.Result, error) {
	token, from := github.TokenFromEnv()
	client, err := github.New(github.Options{Token: token, BaseURL: f.apiURL, MaxRequests: f.maxRequests, Timeout: f.timeout})
	if err != nil {
		return mine.Result{}, usageError("--api-url: %v", err)
	}
	if token == "" {
		a.logf("no GITHUB_TOKEN or GH_TOKEN: requests are unauthenticated, and GitHub allows %d an hour", github.Unauthenticated)
	} else {
		what := fmt.Sprintf("%d repositories", len(opt.Repos))
		if len(opt.Repos) == 1 {
			what = opt.Repos[0]
		}
		a.logf("syncing %s from %s with the token of %s", what, client.BaseURL(), from)
	}
	if !a.quiet {
		width := 0
		tty := a.interactive()
		if tty {
			width, _, _ = term.GetSize(int(a.stderr.(*os.File).Fd()))
		}
		p := mine.NewPrinter(a.stderr, tty, width, opt.Repos, client.Clock().Now)
		opt.Progress = p.Event
		defer p.Close()
	}
	return mine.Sync(ctx, db, client, opt)
}

type syncOptions struct {
	repos []string
	flags syncFlags
	json  jsonFlags
}

func (a *app) syncCmd() *cobra.Command {
	var o syncOptions
	c := &cobra.Command{
		Use:   "sync [owner/repo...]",
		Short: "Mine issues, pull requests and their fixes from GitHub",
		Long: `Sync mines the issues and pull requests of GitHub repositories into the
database, with the pull requests that fixed the issues, incrementally: the
first sync of a repository reads everything (or what was updated since
--since), later syncs only what changed since, and a repository where
nothing changed costs no rate limit (GitHub answers 304 Not Modified).

A sync is resumable: every page is stored with its cursor in one
transaction. Interrupt it (Ctrl-C, a crash, --max-requests, --limit) and
run the same command again: it continues where it stopped, without
duplicates or gaps.

Fixes: a merged pull request whose description closes an issue ("Fixes
#123") fixes it; the description comes with the listing, so finding these
costs nothing. --fix-sizes also fetches each fixing pull request's size
once, one request each (off by default: on a large repository that is
thousands of requests, so the first sync stays within one request per
100 items);
--timeline also reads the timeline of closed issues that no description
links.

Token: GITHUB_TOKEN or GH_TOKEN (a token without scopes is enough for
public repositories). Without one, GitHub allows 60 requests an hour.
When the limit is spent, the sync waits for its reset, showing a
countdown; secondary limits, 5xx answers and broken connections are
retried with backoff. At most 4 requests are in flight at once.

One repository failing (not found, refused) does not stop the others; the
sync then exits 5 (partial result), or with the failure's own code when
every repository failed (4 not found, 7 unreachable, 8 token refused).`,
		Example: `  bugscope sync vllm-project/vllm ggml-org/llama.cpp
  bugscope sync --preset engines --comments
  bugscope sync --preset engines --since 2025-01-01 --max-requests 2000
  bugscope sync --api-url https://ghe.example.com team/engine
  bugscope sync --jq '.repos[].listed' sgl-project/sglang`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.repos = args
			return a.runSync(cmd.Context(), o)
		},
	}
	o.flags.register(c)
	o.json.register(c, "the result")
	return c
}

func (a *app) runSync(ctx context.Context, o syncOptions) error {
	repos, err := o.flags.repos(o.repos)
	if err != nil {
		return err
	}
	if len(repos) == 0 {
		return usageError("name repositories (owner/name) or a --preset")
	}
	opt, err := o.flags.options(repos)
	if err != nil {
		return err
	}
	return a.withDB(ctx, createDB, func(db *sqlite.DB) error {
		res, err := a.sync(ctx, db, &o.flags, opt)
		if len(res.Repos) > 0 {
			if o.json.enabled() {
				if jerr := a.printJSON(o.json, res); jerr != nil {
					return jerr
				}
			} else {
				a.printSync(res)
			}
		}
		if err != nil && ctx.Err() == nil && len(res.Failed()) < len(res.Repos) {
			return &partialErr{err}
		}
		return err
	})
}

// printSync prints a table of what the sync did.
func (a *app) printSync(res mine.Result) {
	w := 0
	for _, r := range res.Repos {
		w = max(w, len(r.Repo))
	}
	fmt.Fprintf(a.stdout, "%-*s %7s %7s %7s %8s %6s %8s %4s  %s\n", w, "repository", "listed", "new", "updated", "comments", "fixes", "requests", "304", "status")
	stopped := false
	for _, r := range res.Repos {
		status := "complete"
		switch {
		case r.Error != "":
			status = "failed: " + printable(r.Error)
		case r.Stopped != "":
			status, stopped = "stopped ("+r.Stopped+")", true
		}
		fmt.Fprintf(a.stdout, "%-*s %7d %7d %7d %8d %6d %8d %4d  %s\n", w, r.Repo, r.Listed, r.Inserted, r.Updated,
			r.Comments, r.FixedIssues, r.Requests, r.NotModified, status)
	}
	if res.Rate.Known {
		fmt.Fprintf(a.stdout, "%d requests; rate limit: %d of %d left\n", res.Requests, res.Rate.Remaining, res.Rate.Limit)
	}
	if stopped {
		fmt.Fprintln(a.stdout, "run the same command again to continue")
	}
}
