package http

import (
	"net/http"
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

// errSelfRevoke: an admin does not lock themselves out from the browser
// (bugscope rater revoke does it from the terminal).
func errSelfRevoke(name string) error {
	return bugscope.Errorf(bugscope.EConflict, "%s may not revoke themselves here: use bugscope rater revoke %s", name, name)
}
