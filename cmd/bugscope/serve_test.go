package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// serving runs bugscope serve with args in-process on a free loopback
// port and returns its address, and a function that stops it as SIGINT
// does and returns its exit code and standard error.
func serving(t *testing.T, args ...string) (string, func() (int, string)) {
	t.Helper()
	return servingWith(t, nil, args...)
}

// servingWith is serving with the app changed by mod first.
func servingWith(t *testing.T, mod func(*app), args ...string) (string, func() (int, string)) {
	t.Helper()
	var out, errOut ptyScreen // written by the running command while the test reads
	a := &app{stdout: &out, stderr: &errOut, now: func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }}
	if mod != nil {
		mod(a)
	}
	root := a.root()
	root.SetArgs(append(append([]string{}, args...), "--addr", "127.0.0.1:0"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		printError(&errOut, err)
		done <- exitCode(err)
	}()
	stop := func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, errOut.String()
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
			return 0, ""
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		s := out.String()
		if i := strings.Index(s, "http://"); i >= 0 {
			if j := strings.Index(s[i:], " "); j > 0 {
				return strings.TrimSuffix(s[i:i+j], "/"), stop
			}
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	stop()
	t.Fatalf("serve printed no address: %s %s", out.String(), errOut.String())
	return "", nil
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// The overview and category pages show the figures of report --format
// json, with the same hand labels and options; SIGINT stops the server
// gracefully.
func TestServeFiguresEqualReportJSON(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	mustRun(t, "--db", db, "classify")
	flags := []string{"--gold", "testdata/gold.jsonl", "--as-of", "2025-06-01", "--period", "month"}
	var rep map[string]json.RawMessage
	if err := json.Unmarshal([]byte(mustRun(t, append([]string{"--db", db, "report", "--format", "json"}, flags...)...)), &rep); err != nil {
		t.Fatal(err)
	}
	base, stop := serving(t, append([]string{"--db", db, "serve"}, flags...)...)
	var ov map[string]json.RawMessage
	getJSON(t, base+"/api/overview", &ov)
	keys := []string{"title", "generated_at", "taxonomy", "classifier", "filters", "engines", "totals", "coverage", "kinds",
		"category_dimension", "categories", "root_causes", "severities", "estimation", "key_findings",
		"threats_to_validity", "low_confidence_bugs"}
	for _, k := range keys {
		if !jsonEqual(t, rep[k], ov[k]) {
			t.Errorf("overview %s differs from the report's:\n%s\nreport:\n%s", k, ov[k], rep[k])
		}
	}
	var method string
	json.Unmarshal(rep["estimation"], &struct{ Method *string }{&method})
	if method != "ppi" {
		t.Errorf("the report is not corrected with the hand labels: %s", method)
	}
	var cats []struct {
		ID            string
		Subcategories []struct{ ID string } `json:"subcategories"`
	}
	json.Unmarshal(rep["categories"], &cats)
	var raw []json.RawMessage
	json.Unmarshal(rep["categories"], &raw)
	if len(cats) == 0 {
		t.Fatal("no categories")
	}
	for i, c := range cats {
		var page struct {
			Category json.RawMessage `json:"category"`
		}
		getJSON(t, base+"/api/categories/"+c.ID, &page)
		if !jsonEqual(t, raw[i], page.Category) {
			t.Errorf("category %s differs:\n%s\nreport:\n%s", c.ID, page.Category, raw[i])
		}
		var subs []json.RawMessage
		var whole struct {
			Subcategories []json.RawMessage `json:"subcategories"`
		}
		json.Unmarshal(raw[i], &whole)
		subs = whole.Subcategories
		for j, sc := range c.Subcategories {
			var sp struct {
				Subcategory json.RawMessage `json:"subcategory"`
			}
			getJSON(t, base+"/api/categories/"+c.ID+"/"+sc.ID, &sp)
			if !jsonEqual(t, subs[j], sp.Subcategory) {
				t.Errorf("subcategory %s differs", sc.ID)
			}
		}
	}
	// Trends, engines compared and time to close are the report's too.
	for path, key := range map[string]string{"/api/trends": "trends", "/api/engines": "engine_comparison", "/api/time-to-close": "time_to_close"} {
		var page map[string]json.RawMessage
		getJSON(t, base+path, &page)
		if !jsonEqual(t, rep[key], page[key]) {
			t.Errorf("%s: %s differs from the report's", path, key)
		}
	}
	code, errOut := stop()
	if code != 0 || !strings.Contains(errOut, "stopped") {
		t.Fatalf("serve after SIGINT: exit %d: %s", code, errOut)
	}
}

// jsonEqual compares two JSON values; a value the report leaves out
// (omitempty) equals an empty one the page gives.
func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	if len(a) == 0 {
		s := string(b)
		return s == "" || s == "null" || s == "[]" || s == "{}"
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// serve binds to loopback unless told otherwise, and warns when exposed;
// it needs a database.
func TestServeAddressAndDatabase(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": false, "localhost:80": false, "[::1]:9": false, ":8080": true, "0.0.0.0:1": true, "example.com:1": true} {
		if got, err := exposed(addr); err != nil || got != want {
			t.Errorf("exposed(%q) = %v, %v; want %v", addr, got, err, want)
		}
	}
	if _, err := exposed("8080"); exitCode(err) != exitUsage {
		t.Errorf("--addr 8080: %v", err)
	}
	_, errOut, code := run(t, "--db", tempDB(t), "serve")
	if code != exitNotFound || !strings.Contains(errOut, "no database") {
		t.Errorf("serve without a database: exit %d: %s", code, errOut)
	}
}
