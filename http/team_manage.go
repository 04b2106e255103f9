package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
)

// An admin manages the team from the browser as with bugscope rater: add
// a rater (the one-time link is shown once), give a new link, revoke.

type linkData struct {
	Rater study.Rater
	Link  string
}

// signInURL is the link a token signs in with, on the address the admin
// reached the server at.
func signInURL(r *http.Request, token string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/signin/" + token
}

func mayManageTeam(s *study.Session) error { return s.MayManage() }

func (t *TeamPages) addRater(w http.ResponseWriter, r *http.Request) {
	if _, ok := t.need(w, r, mayManageTeam); !ok {
		return
	}
	f := r.PostForm
	var samples []string
	for _, s := range f["sample"] {
		if s = strings.TrimSpace(s); s != "" {
			samples = append(samples, s)
		}
	}
	rater, token, err := t.opt.Team.Add(r.Context(), strings.TrimSpace(f.Get("name")), samples, f.Get("admin") == "1")
	if err != nil {
		t.fail(w, r, err)
		return
	}
	t.log.Printf("rater %s added by %s", rater.Name, sessionOf(r).Rater.Name)
	t.render(w, r, http.StatusOK, "team_link", "Sign-in link of "+rater.Name, linkData{Rater: rater, Link: signInURL(r, token)})
}

func (t *TeamPages) newLink(w http.ResponseWriter, r *http.Request) {
	if _, ok := t.need(w, r, mayManageTeam); !ok {
		return
	}
	name := r.PostForm.Get("name")
	token, err := t.opt.Team.Link(r.Context(), name)
	if err != nil {
		t.fail(w, r, err)
		return
	}
	rater, err := t.opt.Team.Store.GetRater(r.Context(), name)
	if err != nil {
		t.fail(w, r, err)
		return
	}
	t.render(w, r, http.StatusOK, "team_link", "Sign-in link of "+rater.Name, linkData{Rater: rater, Link: signInURL(r, token)})
}

func (t *TeamPages) revokeRater(w http.ResponseWriter, r *http.Request) {
	sess, ok := t.need(w, r, mayManageTeam)
	if !ok {
		return
	}
	name := r.PostForm.Get("name")
	if name == sess.Rater.Name {
		t.fail(w, r, errSelfRevoke(name))
		return
	}
	if err := t.opt.Team.Revoke(r.Context(), name); err != nil {
		t.fail(w, r, err)
		return
	}
	t.log.Printf("rater %s revoked by %s", name, sess.Rater.Name)
	http.Redirect(w, r, "/team", http.StatusSeeOther)
}

// drawSample draws and stores a sample as bugscope sample does: per
// repository (or none), Cochran's size for the confidence and margin or a
// fixed size per stratum, from a seed (random when none is given), of the
// issues in a state and repositories.
func (t *TeamPages) drawSample(w http.ResponseWriter, r *http.Request) {
	if _, ok := t.need(w, r, mayManageTeam); !ok {
		return
	}
	if t.opt.Draw == nil {
		t.fail(w, r, bugscope.Errorf(bugscope.EConflict, "this server draws no samples: use bugscope sample"))
		return
	}
	f := r.PostForm
	d := study.Design{Name: strings.TrimSpace(f.Get("name")), Stratify: f.Get("stratify"), Seed: study.RandomSeed()}
	var err error
	num := func(field string, set func(string) error) {
		if v := strings.TrimSpace(f.Get(field)); v != "" && err == nil {
			if e := set(v); e != nil {
				err = bugscope.Errorf(bugscope.EInvalid, "%s %q: %v", field, v, e)
			}
		}
	}
	num("size", func(v string) (e error) { d.Size, e = strconv.Atoi(v); return })
	num("seed", func(v string) (e error) { d.Seed, e = strconv.ParseUint(v, 10, 64); return })
	num("confidence", func(v string) (e error) { d.Confidence, e = strconv.ParseFloat(v, 64); return })
	num("margin", func(v string) (e error) { d.Margin, e = strconv.ParseFloat(v, 64); return })
	if err != nil {
		t.fail(w, r, err)
		return
	}
	switch st := f.Get("state"); st {
	case "", "open", "closed":
		d.Filter.State = st
	default:
		t.fail(w, r, bugscope.Errorf(bugscope.EInvalid, "state %q: want open, closed or nothing", st))
		return
	}
	for _, repo := range strings.Split(f.Get("repos"), ",") {
		if repo = strings.TrimSpace(repo); repo != "" {
			d.Filter.Repos = append(d.Filter.Repos, repo)
		}
	}
	svc := t.opt.Draw
	sm, err := svc.Draft(r.Context(), d)
	if err == nil && sm.Size() == 0 {
		err = bugscope.Errorf(bugscope.ENotFound, "the population is empty: no stored issue passes the filters")
	}
	if err == nil {
		err = svc.Save(r.Context(), sm, false)
	}
	if err != nil {
		t.fail(w, r, err)
		return
	}
	t.log.Printf("sample %s (%d issues, seed %d) drawn by %s", sm.Name, sm.Size(), sm.Params.Seed, sessionOf(r).Rater.Name)
	http.Redirect(w, r, samplePath(sm.Name, "", nil), http.StatusSeeOther)
}

// errSelfRevoke: an admin does not lock themselves out from the browser
// (bugscope rater revoke does it from the terminal).
func errSelfRevoke(name string) error {
	return bugscope.Errorf(bugscope.EConflict, "%s may not revoke themselves here: use bugscope rater revoke %s", name, name)
}
