package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bhttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/triage"
)

// serve --triage: the webhook at /webhooks/github, the worker, /triage.
func TestServeTriage(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	mustRun(t, "--db", db, "classify")
	cfg := filepath.Join(t.TempDir(), "triage.yaml")
	os.WriteFile(cfg, triage.DefaultConfig(), 0o644)

	t.Setenv("BUGSCOPE_WEBHOOK_SECRET", "")
	if _, errOut, code := run(t, "--db", db, "serve", "--addr", "127.0.0.1:0", "--triage", cfg); code != exitAuth || !strings.Contains(errOut, "BUGSCOPE_WEBHOOK_SECRET") {
		t.Errorf("without a secret: exit %d, %s", code, errOut)
	}
	t.Setenv("BUGSCOPE_WEBHOOK_SECRET", "s3cret")
	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	a := &app{stdout: pw, stderr: &errOut, now: time.Now, quiet: true}
	root := a.root()
	root.SetArgs([]string{"--db", db, "--quiet", "serve", "--addr", "127.0.0.1:0", "--triage", cfg})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve: %v (%s)", err, errOut.String())
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSuffix(strings.Fields(line[strings.Index(line, "http://"):])[0], "/")

	post := func(event, id string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/github", bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", id)
		req.Header.Set("X-Hub-Signature-256", bhttp.Sign([]byte("s3cret"), body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("ping", "p", []byte(`{}`)); code != http.StatusOK {
		t.Errorf("ping: %d", code)
	}
	ev := []byte(`{"action":"edited","issue":{"number":101,"title":"[Bug]: CUDA out of memory when serving a 70B model","body":"torch.OutOfMemoryError: CUDA out of memory","state":"open","labels":[{"name":"bug"}],"user":{"login":"a","type":"User"}},"repository":{"full_name":"example-org/engine"},"sender":{"login":"a","type":"User"}}`)
	if code := post("issues", "d-1", ev); code != http.StatusAccepted {
		t.Fatalf("issues: %d", code)
	}
	var page bhttp.TriagePage
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(base + "/triage?format=json")
		if err != nil {
			t.Fatal(err)
		}
		page = bhttp.TriagePage{}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if len(page.Decisions) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(page.Decisions) != 1 || page.Decisions[0].Issue.Number != 101 || page.Modes["*"] != triage.ModeShadow || page.Queue["done"] != 1 {
		t.Errorf("triage page %+v", page)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
