package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
)

// defaultServeURL is where bugscope serve listens by default, the base of
// sign-in links unless --url or BUGSCOPE_URL says otherwise.
const defaultServeURL = "http://127.0.0.1:8080"

// signInPath is the path of a sign-in link, before its token.
const signInPath = "/signin/"

type raterAddOptions struct {
	samples []string
	admin   bool
	base    string
	json    jsonFlags
}

type raterLinkOptions struct {
	base string
	json jsonFlags
}

type raterListOptions struct{ json jsonFlags }

func (a *app) raterCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "rater",
		Short: "Manage the raters of a study team: add (with a sign-in link), link, list, revoke",
		Long: `Rater manages the people who annotate in the browser (bugscope serve).

rater add NAME creates a rater and prints a one-time sign-in link: the rater
opens it in their browser and is signed in (a session cookie) for 7 days.
The link works once and for 7 days; its random 256-bit token, like the
sessions', is stored only as a SHA-256 hash. Send each link to its rater
only, by a private channel. --sample S (repeatable) restricts the rater to
those samples; without it they may annotate every sample. --admin makes a
rater who also arbitrates, exports, reads the agreement of a sample (which
shows every rater's answers) and sees the whole team.

rater link NAME prints a new link (a lost link, another browser), replacing
the unused ones; rater revoke NAME ends the rater's access at once (links
and sessions), their answers stay; rater list shows the team.

A rater's name is the name stored with their answers: the same name in
bugscope annotate --rater NAME adds to the same answers.`,
		Args: cobra.ArbitraryArgs,
		RunE: groupRun,
	}
	c.AddCommand(a.raterAddCmd(), a.raterLinkCmd(), a.raterListCmd(), a.raterRevokeCmd())
	return c
}

func baseURLFlag(c *cobra.Command, base *string) {
	def := os.Getenv("BUGSCOPE_URL")
	if def == "" {
		def = defaultServeURL
	}
	c.Flags().StringVar(base, "url", def, "the address raters open, as bugscope serve is reached (env BUGSCOPE_URL)")
}

func (a *app) raterAddCmd() *cobra.Command {
	var o raterAddOptions
	c := &cobra.Command{
		Use:   "add NAME [--sample S]... [--admin]",
		Short: "Create a rater and print their one-time sign-in link",
		Example: `  bugscope rater add dana --admin
  bugscope rater add alice --sample engines-2025 --url http://10.0.0.5:8080`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.runRaterAdd(cmd.Context(), args[0], o) },
	}
	c.Flags().StringSliceVar(&o.samples, "sample", nil, "a sample the rater may annotate (repeat; default: every sample)")
	c.Flags().BoolVar(&o.admin, "admin", false, "the rater manages the study: arbitrates, exports, reads agreement")
	baseURLFlag(c, &o.base)
	o.json.register(c, "the rater and the link")
	return c
}

func (a *app) raterLinkCmd() *cobra.Command {
	var o raterLinkOptions
	c := &cobra.Command{
		Use:   "link NAME",
		Short: "Print a new one-time sign-in link for a rater (the unused ones stop working)",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return a.runRaterLink(cmd.Context(), args[0], o) },
	}
	baseURLFlag(c, &o.base)
	o.json.register(c, "the rater and the link")
	return c
}

func (a *app) raterListCmd() *cobra.Command {
	var o raterListOptions
	c := &cobra.Command{
		Use:   "list",
		Short: "List the raters: admin, samples, sign-ins, sessions, revoked",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runRaterList(cmd.Context(), o) },
	}
	o.json.register(c, "the raters")
	return c
}

func (a *app) raterRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "End a rater's access at once: links and sessions; their answers stay",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkName("rater", args[0]); err != nil {
				return err
			}
			return a.withDB(cmd.Context(), writeDB, func(db *sqlite.DB) error {
				if err := a.team(db).Revoke(cmd.Context(), args[0]); err != nil {
					return err
				}
				a.logf("rater %s revoked: no sign-in, no session; their answers stay", args[0])
				return nil
			})
		},
	}
}

// team is the study team on db, on the app's clock.
func (a *app) team(db *sqlite.DB) *study.Team {
	t := study.NewTeam(db)
	t.Now = a.now
	return t
}

// signInLink is the address that signs a rater in with token.
func signInLink(base, token string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError("--url %q: want the server's address, such as %s", base, defaultServeURL)
	}
	return u.String() + signInPath + token, nil
}

type raterLink struct {
	Rater study.Rater `json:"rater"`
	Link  string      `json:"link"`
}

func (a *app) runRaterAdd(ctx context.Context, name string, o raterAddOptions) error {
	if err := checkName("rater", name); err != nil {
		return err
	}
	if _, err := signInLink(o.base, ""); err != nil {
		return err
	}
	return a.withDB(ctx, writeDB, func(db *sqlite.DB) error {
		r, token, err := a.team(db).Add(ctx, name, o.samples, o.admin)
		if err != nil {
			return err
		}
		return a.printLink(o.json, r, o.base, token)
	})
}

func (a *app) runRaterLink(ctx context.Context, name string, o raterLinkOptions) error {
	if err := checkName("rater", name); err != nil {
		return err
	}
	if _, err := signInLink(o.base, ""); err != nil {
		return err
	}
	return a.withDB(ctx, writeDB, func(db *sqlite.DB) error {
		token, err := a.team(db).Link(ctx, name)
		if err != nil {
			return err
		}
		r, err := db.GetRater(ctx, name)
		if err != nil {
			return err
		}
		return a.printLink(o.json, r, o.base, token)
	})
}

func (a *app) printLink(j jsonFlags, r study.Rater, base, token string) error {
	link, err := signInLink(base, token)
	if err != nil {
		return err
	}
	if j.enabled() {
		return a.printJSON(j, raterLink{Rater: r, Link: link})
	}
	what := "rater"
	if r.Admin {
		what = "admin"
	}
	a.logf("%s %s (may annotate %s); send this link to them only: it signs in once, within %d days", what, r.Name, r.Scope(), int(study.DefaultLinkTTL.Hours()/24))
	fmt.Fprintln(a.stdout, link)
	return nil
}

func (a *app) runRaterList(ctx context.Context, o raterListOptions) error {
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		list, err := a.team(db).List(ctx)
		if err != nil {
			return err
		}
		if o.json.enabled() {
			return a.printJSON(o.json, nonNilSlice(list))
		}
		if len(list) == 0 {
			fmt.Fprintln(a.stdout, "no raters; add one with bugscope rater add NAME")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "name\trole\tsamples\tlast sign-in\tsessions\tunused links\tstate")
		for _, r := range list {
			role := "rater"
			if r.Admin {
				role = "admin"
			}
			last := "-"
			if r.LastSignIn != nil {
				last = r.LastSignIn.Format("2006-01-02 15:04")
			}
			state := "active"
			if r.RevokedAt != nil {
				state = "revoked " + r.RevokedAt.Format("2006-01-02")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", r.Name, role, r.Scope(), last, r.Sessions, r.PendingLinks, state)
		}
		return tw.Flush()
	})
}
