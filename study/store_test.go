package study_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
)

// suggestStore is a Store of a few methods: the service needs of a store
// only what its interface says, so a fake one serves the suggestion. (The
// embedded interface is nil: any other method would panic.)
type suggestStore struct {
	study.Store
	classifiers []string
	cls         []bugscope.Classification
}

func (s suggestStore) Classifiers(context.Context, string) ([]string, error) {
	return s.classifiers, nil
}
func (s suggestStore) ClassificationsOf(context.Context, bugscope.IssueRef) ([]bugscope.Classification, error) {
	return s.cls, nil
}

// The annotator's suggestion is the best stored classifier's, as the
// report's is (bugscope.ClassifierPreference), whatever the store.
func TestSuggestionOnAnyStore(t *testing.T) {
	tax := defaultTax(t)
	r := ref("a/b", 1)
	store := suggestStore{classifiers: []string{"rules", "ensemble"}, cls: []bugscope.Classification{
		{Issue: r, Taxonomy: "other-taxonomy", Classifier: "ensemble"},
		{Issue: r, Taxonomy: tax.Name, Classifier: "rules"},
		{Issue: r, Taxonomy: tax.Name, Classifier: "ensemble", ClassifierVersion: "m1"},
	}}
	got, err := study.New(store, tax).Suggestion(context.Background(), r)
	if err != nil || got == nil || got.Classifier != "ensemble" || got.ClassifierVersion != "m1" {
		t.Fatalf("suggestion %+v, %v; want the ensemble's in %s", got, err, tax.Name)
	}
	if got, err := study.New(suggestStore{}, tax).Suggestion(context.Background(), r); got != nil || err != nil {
		t.Fatalf("nothing classified: %+v, %v", got, err)
	}
}

func TestDeleteNeedsForceOnceAnswered(t *testing.T) {
	ctx := context.Background()
	s, refs := twoRaters(t)
	if err := s.Delete(ctx, "t", false); bugscope.ErrorCode(err) != bugscope.EConflict || !strings.Contains(err.Error(), "answers from 2 raters") {
		t.Fatalf("delete of an answered sample: %v, want a conflict", err)
	}
	if err := s.Delete(ctx, "t", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "t"); bugscope.ErrorCode(err) != bugscope.ENotFound {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.Delete(ctx, "t", true); bugscope.ErrorCode(err) != bugscope.ENotFound {
		t.Fatalf("deleting twice: %v", err)
	}
	_ = refs
}

func TestRefsFromList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids.txt")
	os.WriteFile(path, []byte("# picked by hand\nacme/e#3\n\nhttps://github.com/acme/e/issues/1\nnot a ref\nacme/e#x\n"), 0o644)
	_, err := study.RefsFromList(path)
	if bugscope.ErrorCode(err) != bugscope.EInvalid || !strings.Contains(err.Error(), "ids.txt:5") || !strings.Contains(err.Error(), "ids.txt:6") {
		t.Fatalf("bad lines: %v, want both named", err)
	}
	os.WriteFile(path, []byte("acme/e#3\nhttps://github.com/acme/e/issues/1\n"), 0o644)
	refs, err := study.RefsFromList(path)
	if err != nil || len(refs) != 2 || refs[0] != ref("acme/e", 3) || refs[1] != ref("acme/e", 1) {
		t.Fatalf("refs %v, %v", refs, err)
	}
	if _, err := study.RefsFromList(filepath.Join(t.TempDir(), "none.txt")); bugscope.ErrorCode(err) != bugscope.ENotFound {
		t.Fatalf("a missing list: %v", err)
	}
}

// The study workflow (and the annotation interface over it) depends on
// neither the pipeline, nor the importer, nor the learned classifier,
// nor the database.
func TestStudyDependencies(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/pipeline", "/importer", "/learn", "/sqlite", "database/sql"} {
			if strings.HasSuffix(dep, banned) {
				t.Errorf("study depends on %s", dep)
			}
		}
	}
}
