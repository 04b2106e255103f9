package study

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/taxonomy"
)

// RefsFromLabels returns the issues of a label-record file, in its order,
// for a sample made of them (FromRefs).
func RefsFromLabels(path string, tax *taxonomy.Taxonomy) ([]bugscope.IssueRef, error) {
	recs, err := labelrec.ReadFile(path, tax)
	if err != nil {
		return nil, err
	}
	refs := make([]bugscope.IssueRef, len(recs))
	for i, r := range recs {
		refs[i] = r.Issue
	}
	return refs, nil
}

// RefsFromList reads a list of issues, one owner/repo#number (or issue
// address) a line; blank lines and lines starting with # are skipped.
// Every bad line is named, with its number, in one EInvalid error.
func RefsFromList(path string) ([]bugscope.IssueRef, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var refs []bugscope.IssueRef
	var errs []error
	sc := bufio.NewScanner(io.LimitReader(f, 64<<20))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		r, err := bugscope.ParseIssueArg(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", path, line, err))
			continue
		}
		refs = append(refs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(errs) > 0 {
		return nil, bugscope.WithKind(bugscope.EInvalid, errors.Join(errs...))
	}
	return refs, nil
}

// RandomSeed returns a seed for a draw that was given none: random, and
// short enough to type back.
func RandomSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 1
	}
	return binary.LittleEndian.Uint64(b[:]) % 1_000_000_000
}

// AnsweredBy lists, per issue of a sample, the raters who answered it.
func (s *Service) AnsweredBy(ctx context.Context, sample string) (map[bugscope.IssueRef][]string, error) {
	anns, err := s.Store.Annotations(ctx, sample, AnnotationQuery{})
	if err != nil {
		return nil, err
	}
	out := map[bugscope.IssueRef][]string{}
	for _, a := range anns {
		out[a.Issue] = append(out[a.Issue], a.Rater)
	}
	return out, nil
}
