package main

import (
	"context"

	"github.com/bugscope/bugscope"
	bshttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// teamPages are the study team's pages over db (bugscope serve mounts
// them with TeamPages.MountOn). Each sample is labelled in its own
// taxonomy, as bugscope annotate does: the built-in one it was drawn in,
// or the --taxonomy file of that name.
func (a *app) teamPages(db *sqlite.DB, secure bool) (*bshttp.TeamPages, error) {
	tax, err := a.loadTaxonomy() // new samples are drawn in it
	if err != nil {
		return nil, err
	}
	var custom *taxonomy.Taxonomy
	if a.taxonomy != taxonomy.Default {
		custom = tax
	}
	service := func(ctx context.Context, sample string) (*study.Service, error) {
		sm, err := db.GetSample(ctx, sample)
		if err != nil {
			return nil, err
		}
		tax := custom
		if tax == nil || tax.Name != sm.Taxonomy {
			if tax, err = taxonomy.Builtin(sm.Taxonomy); err != nil {
				return nil, bugscope.Errorf(bugscope.EConflict, "sample %q is labelled in taxonomy %s, which is not built in: start bugscope serve with --taxonomy FILE", sample, sm.Taxonomy)
			}
		}
		return a.studyService(db, tax), nil
	}
	return bshttp.NewTeamPages(bshttp.TeamOptions{Team: a.team(db), Store: db, Service: service, Draw: a.studyService(db, tax),
		Secure: secure, Log: logWriter{a}, Now: a.now})
}

// mountTeam mounts the study team's pages on the server.
func (a *app) mountTeam(srv *bshttp.Server, db *sqlite.DB, secure bool) error {
	team, err := a.teamPages(db, secure)
	if err != nil {
		return err
	}
	team.MountOn(srv)
	return nil
}
