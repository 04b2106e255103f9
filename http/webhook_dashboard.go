package http

import (
	"context"
	"net/http"

	"github.com/bugscope/bugscope/triage"
)

// TriagePage is what the triage page shows (and its JSON twin serves):
// the overview of package triage and the configuration's modes.
type TriagePage struct {
	triage.Overview
	Modes map[string]string `json:"modes"`
}

// maxDecisionsShown bounds the decisions on the page.
const maxDecisionsShown = 200

// MountTriage adds the triage page to the dashboard, in its layout:
// /triage (HTML, or JSON with Accept: application/json or ?format=json)
// and /api/triage. modes names each configuration entry's mode (empty
// when serve runs without --triage). The navigation bar links to
// /triage: bugscope serve always mounts it. Call it before serving.
func (s *Server) MountTriage(store triage.OverviewStore, modes map[string]string) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method "+r.Method+" not allowed: this page only reads", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Query().Get("format") == "json" {
			r = r.Clone(r.Context())
			r.Header.Set("Accept", "application/json")
		}
		p, err := triagePage(r.Context(), store, modes)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, "triage", "Triage", p)
	})
	s.Mount("/triage", h)
	s.Mount("/api/triage", h)
}

func triagePage(ctx context.Context, store triage.OverviewStore, modes map[string]string) (TriagePage, error) {
	o, err := triage.BuildOverview(ctx, store, maxDecisionsShown)
	return TriagePage{Overview: o, Modes: modes}, err
}
