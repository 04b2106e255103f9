package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// report --gold corrects the shares, -o DIR writes the charts beside the
// Markdown and links them; --format json carries the part-5 sections.
func TestReportGoldChartsJSON(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "classify")

	var rep struct {
		Estimation struct {
			Method string `json:"method"`
			Gold   struct {
				Used int `json:"used"`
			} `json:"gold"`
		} `json:"estimation"`
		Categories []struct {
			ID       string
			Estimate *struct{ Share, Lo, Hi float64 }
		} `json:"categories"`
		Trends      json.RawMessage `json:"trends"`
		Comparison  json.RawMessage `json:"engine_comparison"`
		TimeToClose json.RawMessage `json:"time_to_close"`
	}
	out := mustRun(t, "--db", db, "report", "--format", "json", "--gold", "testdata/gold.jsonl", "--as-of", "2025-06-01")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Estimation.Method != "ppi" || rep.Estimation.Gold.Used == 0 {
		t.Errorf("estimation %+v", rep.Estimation)
	}
	for _, c := range rep.Categories {
		if e := c.Estimate; e == nil || e.Lo > e.Share || e.Share > e.Hi {
			t.Errorf("%s: %+v", c.ID, e)
		}
	}
	if len(rep.Trends) < 5 || len(rep.Comparison) < 5 || len(rep.TimeToClose) < 5 {
		t.Errorf("JSON lacks trends, engine_comparison or time_to_close")
	}

	dir := t.TempDir() + "/"
	printed := mustRun(t, "--db", db, "report", "--gold", "testdata/gold.jsonl", "-o", dir)
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !strings.Contains(printed, "report.md") {
		t.Fatalf("%v %q", err, printed)
	}
	for _, want := range []string{"## Key findings", "## Engines compared", "## Time to close", "## Threats to validity", "](charts/shares.svg)", "](charts/shares.png)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, link := range []string{"charts/shares.svg", "charts/shares.png", "charts/shares_raw_corrected.svg", "charts/time_to_close.png"} {
		if st, err := os.Stat(filepath.Join(dir, link)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", link, err)
		}
	}

	// A learned classifier's labels are not corrected without its model.
	if _, errOut, code := run(t, "--db", db, "report", "--gold", "testdata/gold.jsonl", "--classifier", "model"); code == 0 {
		t.Error("report of a missing classifier succeeded")
	} else if errOut == "" {
		t.Error("no message")
	}
	if _, errOut, code := run(t, "--db", db, "report", "--gold", "testdata/gold.jsonl", "--sample", "x"); code != 2 || !strings.Contains(errOut, "give one") {
		t.Errorf("--gold with --sample: %d %q", code, errOut)
	}
	if _, _, code := run(t, "--db", db, "report", "--period", "week"); code == 0 {
		t.Error("--period week accepted")
	}
	if _, errOut, code := run(t, "--db", db, "report", "--gold", "testdata/missing.jsonl"); code == 0 || !strings.Contains(errOut, "missing.jsonl") {
		t.Errorf("a missing gold file: %d %q", code, errOut)
	}
}

func TestExportTidy(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "classify")
	out := mustRun(t, "--db", db, "export", "--tidy", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7 || recs[0][0] != "repo" || !strings.Contains(strings.Join(recs[0], ","), "category_confidence") {
		t.Fatalf("%d rows, header %q", len(recs), recs[0])
	}
	path := filepath.Join(t.TempDir(), "issues.parquet")
	mustRun(t, "--db", db, "export", "--tidy", "--format", "parquet", "-o", path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil || f.NumRows() != 6 {
		t.Fatalf("%v, %d rows", err, f.NumRows())
	}
	if _, _, code := run(t, "--db", db, "export", "--tidy", "--format", "jsonl"); code != 2 {
		t.Errorf("--tidy --format jsonl: exit %d", code)
	}
}
