package http_test

import (
	"net/http/httptest"
	"testing"
)

// Whatever query string an issue list or search is asked with, the answer
// is a page or an invalid-request error, never a server error.
func FuzzIssueListQuery(f *testing.F) {
	db, tax := fixtureDB(f, f.TempDir())
	srv := serverOver(f, db, tax, 10)
	for _, s := range []string{
		"category=memory&state=closed&sort=-comments&page=2", "q=cuda+oom&repo=acme/infer", "q=%22x%22+OR+y*",
		"signal=gpu:H100", "since=2024-01-01&until=2023-01-01", "page=99999", "confidence=high&classifier=rules",
		"label=%3Cb%3Ebold%3C/b%3E", "kind=bug&kind=feature", "repo=a/b,c/d", "sort=relevance", "q=" + "\xff\xfe",
		"patterns=nonsense", "page=-1", "q=*", "repo=../../x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/api/issues", "/search"} {
			req := httptest.NewRequest("GET", path, nil)
			req.URL.RawQuery = query
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("GET %s?%s: %d %s", path, query, rec.Code, rec.Body.String())
			}
		}
	})
}
