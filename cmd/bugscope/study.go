package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/sqlite"
)

type studyOptions struct {
	files       []string
	outDir      string
	repos       []string
	title       string
	classifiers classifierFlags
	sync        syncFlags
	noSync      bool
	json        jsonFlags
}

func (a *app) studyCmd() *cobra.Command {
	var o studyOptions
	c := &cobra.Command{
		Use:   "study [FILE...] [--repo owner/name]... [--preset NAME]",
		Short: "The main job: mine or import issues, classify them, write the report",
		Long: `Study runs the whole pipeline: it mines the repositories named by --repo
and --preset from GitHub (as bugscope sync does, incrementally) and imports
the issue dumps given as files, classifies every stored issue as bugscope
classify does (the rules, and the model the database remembers, or --model),
and writes the report of the whole database, as bugscope report builds it,
into the output folder as report.md, report.json and report.csv, with its
labels as labels.jsonl and its charts in charts/ (SVG and PNG). It prints
where. Study and report on one database
agree.

A repository that cannot be mined (not found, refused, unreachable) does not
stop the study: it finishes with the others, the report names what is
missing, and the exit code is 5 (partial result).

With files, a single --repo is also the repository of objects that do not
name theirs. --no-sync imports, classifies and reports without mining
(offline). The sync flags (--since, --comments, --max-requests, ...) are
those of bugscope sync.`,
		Example: `  bugscope study --preset engines -o out/
  bugscope study --repo vllm-project/vllm --repo sgl-project/sglang --since 2025-01-01
  bugscope study vllm-issues.json llama.cpp-issues.json sglang-issues.json -o out/
  bugscope study dump.json --repo acme/engine --no-sync`,
		RunE: func(cmd *cobra.Command, files []string) error {
			o.files = files
			return a.runStudy(cmd.Context(), o)
		},
	}
	c.Flags().StringVarP(&o.outDir, "output", "o", "out", "output folder")
	c.Flags().StringSliceVar(&o.repos, "repo", nil, "repository to mine (owner/name; repeat or comma-separate); with files, the repository of objects that do not name theirs")
	c.Flags().BoolVar(&o.noSync, "no-sync", false, "do not mine GitHub: import, classify and report only")
	o.sync.register(c)
	c.Flags().StringVar(&o.title, "title", "", "report title")
	o.classifiers.register(c)
	o.json.register(c, "what the study did")
	return c
}

func (a *app) runStudy(ctx context.Context, o studyOptions) error {
	defer reportMemory()()
	toMine, err := o.sync.repos(o.repos)
	if err != nil {
		return err
	}
	if len(o.files) == 0 && len(toMine) == 0 {
		return usageError("name issue dumps (FILE...) or repositories to mine (--repo, --preset)")
	}
	repo := ""
	if len(o.files) > 0 && len(o.repos) == 1 {
		repo = o.repos[0]
	} else if len(o.files) > 0 && len(o.repos) > 1 {
		return usageError("with files, give at most one --repo (the repository of objects that do not name theirs)")
	}
	if o.noSync {
		toMine = nil
	}
	opt, err := o.sync.options(toMine)
	if err != nil {
		return err
	}
	tax, copt, err := o.classifiers.load(a)
	if err != nil {
		return err
	}
	hosts, err := linkHosts(o.sync.apiURL)
	if err != nil {
		return err
	}
	dumps, err := pipeline.ReadDumps(o.files, pipeline.ImportOptions{Repo: repo})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return err
	}
	return a.withDB(ctx, createDB, func(db *sqlite.DB) error {
		var missing []report.MissingRepo
		var syncErr error
		if len(toMine) > 0 {
			res, err := a.sync(ctx, db, &o.sync, opt)
			if err != nil && (ctx.Err() != nil || len(res.Failed()) == 0) {
				return err
			}
			syncErr = err
			for _, r := range res.Repos {
				if r.Error != "" {
					missing = append(missing, report.MissingRepo{Repo: r.Repo, Reason: r.Error})
					a.logf("could not mine %s: %s", r.Repo, r.Error)
					continue
				}
				a.logf("mined %s: %d listed (%d new, %d updated), %d fixed issues, %d requests", r.Repo, r.Listed, r.Inserted, r.Updated, r.FixedIssues, r.Requests)
			}
			if !res.Complete && syncErr == nil {
				a.logf("the sync stopped before the end (budget or limit); the study covers what is stored, and the same command continues the sync")
			}
		}
		res, err := pipeline.Study(ctx, db, tax, pipeline.StudyOptions{Dumps: dumps, Dir: o.outDir, Title: o.title, Now: a.now(),
			Missing: missing, Classifiers: copt, LinkHosts: hosts})
		if err != nil {
			if syncErr != nil {
				return errors.Join(syncErr, err)
			}
			return err
		}
		for _, r := range res.Imported {
			a.logf("imported %s: %d issues, %d pull requests (%d new, %d updated)", r.File, r.Issues, r.PullRequests, r.Inserted, r.Updated)
		}
		for _, n := range res.Notes {
			a.logf("note: %s", n)
		}
		a.logf("classified %d issues with %s in %s", res.Classified.Issues, res.Classifiers, res.Classified.Duration.Round(1e6))
		for _, w := range res.Coverage.Warnings() {
			a.logf("warning: %s", w)
		}
		if o.json.enabled() {
			if err := a.printJSON(o.json, res); err != nil {
				return err
			}
		} else {
			for _, f := range res.Files {
				fmt.Fprintln(a.stdout, f)
			}
		}
		if syncErr != nil {
			return &partialErr{bugscope.Errorf(bugscope.ErrorCode(syncErr), "the study is partial: %v", syncErr)}
		}
		return nil
	})
}
