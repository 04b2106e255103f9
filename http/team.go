package http

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/study"
)

// The study team's pages: sign-in with a one-time link, annotation one
// issue at a time, live agreement, arbitration and the benchmark's
// export, for several raters at once over one database. Every page reads
// and writes through package study, as the terminal interfaces do; these
// handlers only check who asks and turn forms into answers.
//
// Every POST needs a session (cookie), the session's CSRF token in the
// form and the permission for the sample, else 403 and nothing changes.

//go:embed team_templates/*.html
var teamTemplateFS embed.FS

//go:embed team_static
var teamStaticFS embed.FS

// SessionCookie is the name of the session cookie.
const SessionCookie = "bugscope_session"

// TeamOptions configure the team's pages.
type TeamOptions struct {
	Team *study.Team
	// Store lists the samples.
	Store study.Store
	// Service returns the study workflow of a sample, in its taxonomy.
	Service func(ctx context.Context, sample string) (*study.Service, error)
	// Draw is the study workflow in which an admin draws new samples (the
	// server's taxonomy); nil: samples are drawn with bugscope sample
	// only.
	Draw *study.Service
	// Secure marks the session cookie Secure even on a plain-HTTP request
	// (a TLS proxy in front); a request over TLS always gets it.
	Secure bool
	// Resamples of the agreement page's bootstrap intervals (0: 1,000, as
	// bugscope agreement).
	Resamples int
	Log       io.Writer
	Now       func() time.Time
}

// TeamPages serves the team's pages: an http.Handler on its own, or
// mounted on a Server with MountOn.
type TeamPages struct {
	opt    TeamOptions
	router chi.Router
	mounts []teamMount
	pages  map[string]*template.Template
	log    *log.Logger

	agreements agreementCache
}

// NewTeamPages returns the team's pages.
func NewTeamPages(opt TeamOptions) (*TeamPages, error) {
	if opt.Team == nil || opt.Store == nil || opt.Service == nil {
		return nil, errors.New("http.NewTeamPages: Team, Store and Service are required")
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	t := &TeamPages{opt: opt, log: log.New(opt.Log, "", log.LstdFlags), pages: map[string]*template.Template{}}
	names, err := fs.Glob(teamTemplateFS, "team_templates/team_*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "team_templates/"), ".html")
		if base == "team_layout" || base == "team_parts" {
			continue
		}
		p, err := template.New("team_layout.html").Funcs(teamFuncs).ParseFS(teamTemplateFS, "team_templates/team_layout.html", "team_templates/team_parts.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		t.pages[base] = p
	}
	t.routes()
	return t, nil
}

// ServeHTTP serves a request, the pages alone (as mounted by MountOn).
func (t *TeamPages) ServeHTTP(w http.ResponseWriter, r *http.Request) { t.router.ServeHTTP(w, r) }

// Mounter is a router that handlers are mounted on under a prefix: a
// Server (outside its read-only guard) or a chi.Router.
type Mounter interface {
	Mount(pattern string, h http.Handler)
}

// MountOn mounts the team's pages on m: /signin, /signout, /team and
// /samples, each a router of the paths under its prefix.
func (t *TeamPages) MountOn(m Mounter) {
	for _, tm := range t.mounts {
		m.Mount(tm.prefix, tm.router)
	}
}

type teamMount struct {
	prefix string
	router chi.Router
}

func (t *TeamPages) routes() {
	notFound := func(w http.ResponseWriter, req *http.Request) {
		t.fail(w, req, bugscope.Errorf(bugscope.ENotFound, "no page at %s", req.URL.Path))
	}
	under := func(prefix string, paths func(r chi.Router)) {
		r := chi.NewRouter()
		r.Use(t.withSession)
		r.NotFound(notFound)
		paths(r)
		t.mounts = append(t.mounts, teamMount{prefix, r})
	}
	under("/signin", func(r chi.Router) {
		r.Get("/{token}", t.signInPage)
		r.Post("/", t.signIn)
	})
	under("/signout", func(r chi.Router) { r.Post("/", t.signOut) })
	under("/team", func(r chi.Router) {
		r.Get("/", t.home)
		r.Post("/raters", t.addRater)
		r.Post("/raters/link", t.newLink)
		r.Post("/raters/revoke", t.revokeRater)
		r.Post("/samples", t.drawSample)
		static, _ := fs.Sub(teamStaticFS, "team_static")
		r.Handle("/static/*", http.StripPrefix("/team/static/", teamStatic(static)))
	})
	under("/samples", func(r chi.Router) {
		r.Route("/{sample}", func(r chi.Router) {
			r.Get("/", t.samplePage)
			r.Get("/annotate", t.annotatePage)
			r.Post("/annotate", t.annotateSubmit)
			r.Get("/agreement", t.agreementPage)
			r.Get("/arbitrate", t.arbitratePage)
			r.Post("/arbitrate", t.arbitrateSubmit)
			r.Get("/export/{file}", t.export)
		})
	})
	root := chi.NewRouter()
	root.NotFound(t.withSession(http.HandlerFunc(notFound)).ServeHTTP)
	t.MountOn(root)
	t.router = root
}

func teamStatic(fsys fs.FS) http.Handler {
	h := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

type sessionKey struct{}

// withSession loads the session of the request's cookie, if any. A
// cookie that names no live session is cleared.
func (t *TeamPages) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(SessionCookie)
		if err == nil && c.Value != "" {
			sess, err := t.opt.Team.Session(r.Context(), c.Value)
			switch bugscope.ErrorCode(err) {
			case "":
				r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
			case bugscope.EUnauthorized:
				t.clearCookie(w, r)
			default:
				t.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func sessionOf(r *http.Request) *study.Session {
	s, _ := r.Context().Value(sessionKey{}).(*study.Session)
	return s
}

// need returns the request's session when it passes check (nil: any
// session). A GET without a session is 401 (sign in first); a POST needs
// a session, the session's CSRF token in the form (field csrf) and the
// check, else 403.
func (t *TeamPages) need(w http.ResponseWriter, r *http.Request, check func(*study.Session) error) (*study.Session, bool) {
	sess := sessionOf(r)
	post := r.Method == http.MethodPost
	var err error
	switch {
	case sess == nil && post:
		err = bugscope.Errorf(bugscope.EForbidden, "not signed in: open your sign-in link first")
	case sess == nil:
		err = bugscope.Errorf(bugscope.EUnauthorized, "not signed in: open the sign-in link the study's admin sent you (bugscope rater link NAME makes a new one)")
	case post:
		if perr := r.ParseForm(); perr != nil {
			err = bugscope.Errorf(bugscope.EInvalid, "the form cannot be read: %v", perr)
		} else {
			err = sess.CheckCSRF(r.PostForm.Get("csrf"))
		}
	}
	if err == nil && check != nil {
		err = check(sess)
	}
	if err != nil {
		t.fail(w, r, err)
		return nil, false
	}
	return sess, true
}

func (t *TeamPages) setCookie(w http.ResponseWriter, r *http.Request, value string, expires time.Time, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: value, Path: "/", Expires: expires, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: t.opt.Secure || r.TLS != nil})
}

func (t *TeamPages) clearCookie(w http.ResponseWriter, r *http.Request) {
	t.setCookie(w, r, "", time.Unix(0, 0), -1)
}

// sameOrigin refuses a form posted from another site: the browser says
// so in Sec-Fetch-Site, or in Origin.
func sameOrigin(r *http.Request) error {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return bugscope.Errorf(bugscope.EForbidden, "a form from another site (%s) may not sign in here", s)
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return bugscope.Errorf(bugscope.EForbidden, "a form from another origin may not sign in here")
		}
	}
	return nil
}

// sampleRequest is a request on a page of a sample: the session that
// passed the check, the sample's name and its study workflow.
type sampleRequest struct {
	sess   *study.Session
	sample string
	svc    *study.Service
}

// onSample checks a request on the sample its address names (need, with
// check) and loads the sample's study workflow.
func (t *TeamPages) onSample(w http.ResponseWriter, r *http.Request, check func(s *study.Session, sample string) error) (sampleRequest, bool) {
	name := chi.URLParam(r, "sample")
	sess, ok := t.need(w, r, func(s *study.Session) error { return check(s, name) })
	if !ok {
		return sampleRequest{}, false
	}
	svc, err := t.opt.Service(r.Context(), name)
	if err != nil {
		t.fail(w, r, err)
		return sampleRequest{}, false
	}
	return sampleRequest{sess: sess, sample: name, svc: svc}, true
}

// Checks of onSample: a rater of the sample, an admin.
func annotator(s *study.Session, sample string) error { return s.MayAnnotate(sample) }
func manager(s *study.Session, _ string) error        { return s.MayManage() }

// issueArg reads an issue named by a form or a query (owner/repo#N).
func (t *TeamPages) issueArg(w http.ResponseWriter, r *http.Request, s string) (bugscope.IssueRef, bool) {
	ref, err := bugscope.ParseIssueArg(s)
	if err != nil {
		t.fail(w, r, bugscope.WithKind(bugscope.EInvalid, err))
		return ref, false
	}
	return ref, true
}

type signInData struct{ Token string }

func (t *TeamPages) signInPage(w http.ResponseWriter, r *http.Request) {
	// The link only shows a form: a link preview or a prefetch that
	// fetches it does not use it up.
	t.render(w, r, http.StatusOK, "team_signin", "Sign in", signInData{Token: chi.URLParam(r, "token")})
}

func (t *TeamPages) signIn(w http.ResponseWriter, r *http.Request) {
	if err := sameOrigin(r); err != nil {
		t.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		t.fail(w, r, bugscope.Errorf(bugscope.EInvalid, "the form cannot be read: %v", err))
		return
	}
	sess, err := t.opt.Team.SignIn(r.Context(), r.PostForm.Get("token"))
	if err != nil {
		t.fail(w, r, err)
		return
	}
	t.setCookie(w, r, sess.ID, sess.ExpiresAt, 0)
	t.log.Printf("rater %s signed in", sess.Rater.Name)
	http.Redirect(w, r, "/team", http.StatusSeeOther)
}

func (t *TeamPages) signOut(w http.ResponseWriter, r *http.Request) {
	sess, ok := t.need(w, r, nil)
	if !ok {
		return
	}
	if err := t.opt.Team.SignOut(r.Context(), sess.ID); err != nil {
		t.fail(w, r, err)
		return
	}
	t.clearCookie(w, r)
	t.render(w, r, http.StatusOK, "team_signedout", "Signed out", nil)
}

// teamPage is what every template gets.
type teamPage struct {
	Title   string
	Session *study.Session
	CSRF    string
	Data    any
}

func (t *TeamPages) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	tm := t.pages[name]
	if tm == nil {
		t.fail(w, r, bugscope.Errorf(bugscope.EInternal, "no template %q", name))
		return
	}
	p := teamPage{Title: title, Session: sessionOf(r), Data: data}
	if p.Session != nil {
		p.CSRF = p.Session.CSRF()
	}
	var buf bytes.Buffer
	if err := tm.Execute(&buf, p); err != nil {
		t.log.Printf("rendering %s: %v", name, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show a rater's own answers: never kept by a shared cache.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type teamError struct {
	Status  int
	Message string
	SignIn  bool
}

// fail answers with the error's status (StatusOf) and a page saying it.
func (t *TeamPages) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	if status >= 500 {
		t.log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	t.render(w, r, status, "team_error", http.StatusText(status), teamError{Status: status, Message: publicMessage(err, status),
		SignIn: status == http.StatusUnauthorized})
}

// samplePath is the address of a page of a sample.
func samplePath(sample, page string, q url.Values) string {
	p := "/samples/" + url.PathEscape(sample) + "/" + page
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

var teamFuncs = template.FuncMap{
	"samplePath": func(sample, page string) string { return samplePath(sample, page, nil) },
	"issueQuery": func(sample, page string, ref bugscope.IssueRef) string {
		return samplePath(sample, page, url.Values{"issue": {ref.String()}})
	},
	"line": safetext.Line,
	"text": safetext.Text,
	"join": strings.Join,
	"add1": func(i int) int { return i + 1 },
	"date": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
}
