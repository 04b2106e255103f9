package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	bhttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/review"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

type serveOptions struct {
	addr   string
	grace  time.Duration
	study  reportOptions
	triage string
	// secureCookie marks the study team's session cookie Secure behind a
	// TLS proxy.
	secureCookie bool
}

func (a *app) serveCmd() *cobra.Command {
	var o serveOptions
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the study as a web dashboard: overview, categories, issues, search, trends, review",
		Long: `Serve shows the study of the database in a web browser: the overview (totals,
kinds, categories with their shares and intervals, key findings, the labels'
accuracy), categories and subcategories with their issues, a filterable issue
list, every issue with its labels side by side and their evidence marked in
the text, full-text search, trends, engines compared, time to close, error
signatures, where the bugs run, and the review queue. Every page has a JSON
twin under /api/ (or with Accept: application/json); the figures are those of
bugscope report --format json, with the same flags (--gold, --sample,
--period, --as-of, --classifier).

It listens on the loopback address by default; --addr :8080 exposes it to the
network, which it warns about. The pages only read, with one exception: serve
keeps a full-text index of the issues in the database (built at start and
when the issues change, never by import). Figures are computed once per
filter and kept until the database changes; while they are recomputed, the
previous ones are shown. Ctrl-C or SIGTERM stops it gracefully.`,
		Example: `  bugscope serve
  bugscope serve --gold ../shared/gold/random-300.jsonl
  bugscope serve --addr 127.0.0.1:9000 --db study.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runServe(cmd.Context(), o) },
	}
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; a port alone or :port listens on every interface)")
	c.Flags().DurationVar(&o.grace, "shutdown-grace", 10*time.Second, "how long requests in flight may finish when stopping")
	c.Flags().StringVar(&o.triage, "triage", "", "also receive GitHub webhooks at /webhooks/github and triage issues as this configuration says (bugscope triage init)")
	c.Flags().BoolVar(&o.secureCookie, "secure-cookie", false, "mark the study team's session cookie Secure (serve behind an HTTPS proxy)")
	o.study.registerStudy(c)
	return c
}

// exposed reports whether addr listens beyond the loopback interface.
func exposed(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, usageError("--addr %q: want host:port (%v)", addr, err)
	}
	if host == "localhost" {
		return false, nil
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback(), nil
}

func (a *app) runServe(ctx context.Context, o serveOptions) error {
	open, err := exposed(o.addr)
	if err != nil {
		return err
	}
	tax, err := a.loadTaxonomy()
	if err != nil {
		return err
	}
	base, err := o.study.studyOptions(a, tax)
	if err != nil {
		return err
	}
	// The database is opened for writing (it must exist) only for the
	// search index; the pages read.
	return a.withDB(ctx, writeDB, func(db *sqlite.DB) error {
		if err := o.study.sampleGold(ctx, a, db, tax, &base); err != nil {
			return err
		}
		srv, err := newServer(db, tax, base, a)
		if err != nil {
			return err
		}
		// Routes that change state (forms, webhooks) are mounted here,
		// with srv.Mount, before serving.
		modes := map[string]string{}
		if o.triage != "" {
			stop, m, err := a.mountTriage(ctx, srv, db, tax, o.triage)
			if err != nil {
				return err
			}
			defer stop()
			modes = m
		}
		srv.MountTriage(db, modes)
		if err := a.mountTeam(srv, db, o.secureCookie); err != nil {
			return err
		}
		ln, err := net.Listen("tcp", o.addr)
		if err != nil {
			return bugscope.Errorf(bugscope.EUnavailable, "cannot listen on %s: %v", o.addr, err)
		}
		url := "http://" + ln.Addr().String() + "/"
		if open {
			a.logf("warning: %s listens on every network interface: anyone who can reach this machine can read the study (use --addr 127.0.0.1:PORT to keep it local)", o.addr)
		}
		fmt.Fprintf(a.stdout, "bugscope serve: open %s in a browser (Ctrl-C stops)\n", url)
		srv.Warm()
		if err := srv.Serve(ctx, ln, o.grace); err != nil {
			return err
		}
		a.logf("bugscope serve: stopped")
		return nil
	})
}

// newServer wires the dashboard to the database: the report as bugscope
// report builds it (base's options, the request's filter), the review
// queue as bugscope review does.
func newServer(db *sqlite.DB, tax *taxonomy.Taxonomy, base pipeline.ReportOptions, a *app) (*bhttp.Server, error) {
	return bhttp.New(bhttp.Options{
		Store:    db,
		Taxonomy: tax,
		Report: func(ctx context.Context, f bugscope.IssueFilter) (*report.Report, error) {
			opt := base
			opt.Filter = f
			opt.Now = a.now()
			return pipeline.BuildReport(ctx, db, tax, opt)
		},
		Review: func(ctx context.Context, f bugscope.IssueFilter) ([]review.Item, string, error) {
			return pipeline.ReviewQueue(ctx, db, tax, f)
		},
		ReviewItems: func(ctx context.Context, final string, refs []bugscope.IssueRef) ([]review.Item, error) {
			return pipeline.ReviewItems(ctx, db, tax, final, refs)
		},
		LinkHosts: base.LinkHosts,
		Log:       logWriter{a},
		// A report of 100,000 issues takes tens of seconds the first time:
		// the page says so and reloads itself instead of hanging.
		FirstWait: 5 * time.Second,
	})
}

// logWriter sends the server's log lines to stderr unless --quiet.
type logWriter struct{ a *app }

func (w logWriter) Write(p []byte) (int, error) {
	if !w.a.quiet {
		return w.a.stderr.Write(p)
	}
	return len(p), nil
}
