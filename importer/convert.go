package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
)

// rawIssue holds the fields bugscope reads, undecoded, so that a value of
// the wrong type can be reported with its field. A missing field is empty,
// a null one "null".
type rawIssue struct {
	Number, Title, Body, Labels, State, AuthorAssociation json.RawMessage
	CreatedAt, UpdatedAt, ClosedAt, Comments, Reactions   json.RawMessage
	HTMLURL, RepositoryURL, URL, PullRequest              json.RawMessage
}

// set stores the value of key, matching keys as encoding/json does:
// without regard to case, the last of repeated keys counting.
func (r *rawIssue) set(key string, v json.RawMessage) {
	switch key {
	case "number":
		r.Number = v
	case "title":
		r.Title = v
	case "body":
		r.Body = v
	case "labels":
		r.Labels = v
	case "state":
		r.State = v
	case "author_association":
		r.AuthorAssociation = v
	case "created_at":
		r.CreatedAt = v
	case "updated_at":
		r.UpdatedAt = v
	case "closed_at":
		r.ClosedAt = v
	case "comments":
		r.Comments = v
	case "reactions":
		r.Reactions = v
	case "html_url":
		r.HTMLURL = v
	case "repository_url":
		r.RepositoryURL = v
	case "url":
		r.URL = v
	case "pull_request":
		r.PullRequest = v
	default:
		for _, name := range rawKeys {
			if strings.EqualFold(key, name) {
				r.set(name, v)
				return
			}
		}
	}
}

var rawKeys = []string{"number", "title", "body", "labels", "state", "author_association",
	"created_at", "updated_at", "closed_at", "comments", "reactions",
	"html_url", "repository_url", "url", "pull_request"}

// fieldError is a conversion error; path (keys and array indices) leads
// to the offending value so that the parser can find its position.
type fieldError struct {
	path []any
	err  error
}

func (f *fieldError) name() string {
	var b strings.Builder
	for _, s := range f.path {
		switch s := s.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		}
	}
	return b.String()
}

func fieldErr(err error, path ...any) *fieldError { return &fieldError{path: path, err: err} }

// maxCount bounds numbers and counts: anything larger is not a real issue
// number or count, and it keeps int conversions safe everywhere.
const maxCount = math.MaxInt32

// convert maps a decoded issue object to an Issue; repo is the repository
// to assume when the object names none.
func convert(raw *rawIssue, repo string) (bugscope.Issue, *fieldError) {
	var is bugscope.Issue
	var err error
	if isNull(raw.Number) {
		return is, fieldErr(errors.New("missing or null; every issue needs a number"), "number")
	}
	if is.Number, err = intVal(raw.Number, 1, "a positive integer"); err != nil {
		return is, fieldErr(err, "number")
	}
	if isNull(raw.Title) {
		return is, fieldErr(errors.New("missing or null; every issue needs a title (it may be empty)"), "title")
	}
	if is.Title, err = strVal(raw.Title); err != nil {
		return is, fieldErr(err, "title")
	}
	if is.Body, err = strVal(raw.Body); err != nil {
		return is, fieldErr(err, "body")
	}
	if is.AuthorAssociation, err = strVal(raw.AuthorAssociation); err != nil {
		return is, fieldErr(err, "author_association")
	}
	state, err := strVal(raw.State)
	if err != nil {
		return is, fieldErr(err, "state")
	}
	switch is.State = strings.ToLower(state); is.State {
	case "", "open", "closed":
	default:
		return is, fieldErr(fmt.Errorf("%q is neither open nor closed", state), "state")
	}
	for _, t := range []struct {
		raw  json.RawMessage
		dst  **time.Time
		name string
	}{
		{raw.CreatedAt, &is.CreatedAt, "created_at"},
		{raw.UpdatedAt, &is.UpdatedAt, "updated_at"},
		{raw.ClosedAt, &is.ClosedAt, "closed_at"},
	} {
		if *t.dst, err = timeVal(t.raw); err != nil {
			return is, fieldErr(err, t.name)
		}
	}
	if ferr := labels(raw.Labels, &is); ferr != nil {
		return is, ferr
	}
	if is.Comments, err = comments(raw.Comments); err != nil {
		return is, fieldErr(err, "comments")
	}
	if ferr := reactions(raw.Reactions, &is); ferr != nil {
		return is, ferr
	}
	switch {
	case isNull(raw.PullRequest):
	case raw.PullRequest[0] == '{':
		is.IsPullRequest = true
	case raw.PullRequest[0] == 't' || raw.PullRequest[0] == 'f':
		is.IsPullRequest = raw.PullRequest[0] == 't'
	default:
		return is, fieldErr(wantErr("an object", raw.PullRequest), "pull_request")
	}
	if ferr := repository(raw, repo, &is); ferr != nil {
		return is, ferr
	}
	return is, nil
}

func labels(raw json.RawMessage, is *bugscope.Issue) *fieldError {
	if isNull(raw) {
		return nil
	}
	if raw[0] != '[' {
		return fieldErr(wantErr("an array of labels", raw), "labels")
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return fieldErr(err, "labels")
	}
	for i, e := range elems {
		switch e[0] {
		case '"':
			s, _ := strVal(e)
			is.Labels = append(is.Labels, s)
		case '{':
			var obj struct {
				Name json.RawMessage `json:"name"`
			}
			if err := json.Unmarshal(e, &obj); err != nil {
				return fieldErr(err, "labels", i)
			}
			if isNull(obj.Name) || obj.Name[0] != '"' {
				return fieldErr(errors.New("label object without a string name"), "labels", i)
			}
			s, _ := strVal(obj.Name)
			is.Labels = append(is.Labels, s)
		default:
			return fieldErr(wantErr("a label name or label object", e), "labels", i)
		}
	}
	return nil
}

// comments takes a count or, from dumps that embed the comments, an array.
func comments(raw json.RawMessage) (int, error) {
	if !isNull(raw) && raw[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return 0, err
		}
		return len(elems), nil
	}
	return intVal(raw, 0, "a count or an array of comments")
}

// reactions takes the REST reactions object or a bare total.
func reactions(raw json.RawMessage, is *bugscope.Issue) *fieldError {
	if isNull(raw) || raw[0] != '{' {
		n, err := intVal(raw, 0, "a reactions object or a count")
		if err != nil {
			return fieldErr(err, "reactions")
		}
		is.Reactions = n
		return nil
	}
	var obj struct {
		TotalCount json.RawMessage `json:"total_count"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fieldErr(err, "reactions")
	}
	n, err := intVal(obj.TotalCount, 0, "a count")
	if err != nil {
		return fieldErr(err, "reactions", "total_count")
	}
	is.Reactions = n
	return nil
}

// repository sets Repo, URL and, from a /pull/ URL, IsPullRequest. All the
// URLs an object carries must name the same repository, and that of
// repo, if given.
func repository(raw *rawIssue, repo string, is *bugscope.Issue) *fieldError {
	type source struct{ field, repo string }
	var found []source
	s, err := strVal(raw.RepositoryURL)
	if err != nil {
		return fieldErr(err, "repository_url")
	}
	if s != "" {
		r, err := repoFromAPI(s)
		if err != nil {
			return fieldErr(err, "repository_url")
		}
		found = append(found, source{"repository_url", r})
	}
	for _, f := range []struct {
		raw  json.RawMessage
		name string
	}{{raw.HTMLURL, "html_url"}, {raw.URL, "url"}} {
		s, err := strVal(f.raw)
		if err != nil {
			return fieldErr(err, f.name)
		}
		if s == "" {
			continue
		}
		r, n, pull, err := repoFromIssueURL(s)
		if err != nil {
			return fieldErr(err, f.name)
		}
		if n != is.Number {
			return fieldErr(fmt.Errorf("%q names issue %d, but number is %d", s, n, is.Number), f.name)
		}
		if f.name == "html_url" {
			is.URL = s
		}
		is.IsPullRequest = is.IsPullRequest || pull
		found = append(found, source{f.name, r})
	}
	for _, f := range found[min(1, len(found)):] {
		if !strings.EqualFold(f.repo, found[0].repo) {
			return fieldErr(fmt.Errorf("names repository %s, but %s names %s", f.repo, found[0].field, found[0].repo), f.field)
		}
	}
	switch {
	case len(found) > 0 && repo != "" && !strings.EqualFold(found[0].repo, repo):
		return fieldErr(fmt.Errorf("names repository %s, but --repo is %s", found[0].repo, repo), found[0].field)
	case len(found) > 0:
		is.Repo = found[0].repo
	case repo != "":
		is.Repo = repo
	default:
		return fieldErr(errors.New("no repository: give --repo owner/name"))
	}
	if is.URL == "" {
		is.URL = "https://github.com/" + is.Repo + "/issues/" + strconv.Itoa(is.Number)
	}
	return nil
}

// repoFromAPI reads https://api.github.com/repos/OWNER/NAME, or the same
// under a GitHub Enterprise host and prefix.
func repoFromAPI(s string) (string, error) {
	segs, err := pathSegments(s)
	if err == nil {
		if n := len(segs); n >= 3 && segs[n-3] == "repos" {
			return checkedRepo(segs[n-2], segs[n-1], s)
		}
	}
	return "", fmt.Errorf("%q is not a repository API URL (https://api.github.com/repos/OWNER/NAME)", s)
}

// repoFromIssueURL reads the repository and number from a web URL
// (https://github.com/OWNER/NAME/issues/N or /pull/N) or an API URL
// (https://api.github.com/repos/OWNER/NAME/issues/N or /pulls/N), on any
// host, so GitHub Enterprise works too.
func repoFromIssueURL(s string) (repo string, number int, pull bool, err error) {
	segs, err := pathSegments(s)
	if err == nil {
		for i := 2; i+1 < len(segs); i++ {
			switch segs[i] {
			case "issues", "pull", "pulls":
			default:
				continue
			}
			n, err := strconv.Atoi(segs[i+1])
			if err != nil || n <= 0 || segs[i+1][0] == '+' {
				continue
			}
			repo, err := checkedRepo(segs[i-2], segs[i-1], s)
			return repo, n, segs[i] != "issues", err
		}
	}
	return "", 0, false, fmt.Errorf("%q is not a GitHub issue or pull request URL", s)
}

// pathSegments returns the unescaped, non-empty path segments of an
// absolute http(s) URL.
func pathSegments(s string) ([]string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("not an http(s) URL")
	}
	var segs []string
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "" {
			continue
		}
		if seg, err = url.PathUnescape(seg); err != nil {
			return nil, err
		}
		segs = append(segs, seg)
	}
	return segs, nil
}

func checkedRepo(owner, name, from string) (string, error) {
	r := owner + "/" + name
	if err := validRepo(r); err != nil {
		return "", fmt.Errorf("%q: %w", from, err)
	}
	return r, nil
}

// validRepo is bugscope.ValidateRepo narrowed to the characters GitHub
// allows in owner and repository names, so that odd URLs cannot smuggle
// odd names into the store.
func validRepo(s string) error {
	if err := bugscope.ValidateRepo(s); err != nil {
		return err
	}
	owner, name, _ := strings.Cut(s, "/")
	for _, part := range []string{owner, name} {
		if part == "." || part == ".." || strings.IndexFunc(part, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
		}) >= 0 {
			return fmt.Errorf("repository %q: want owner/name of letters, digits, '-', '_' and '.'", s)
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// strVal decodes a string or null; invalid UTF-8 becomes U+FFFD.
func strVal(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] != '"' {
		return "", wantErr("a string", raw)
	}
	return unquote(raw), nil
}

// intVal decodes an integral number in [lo, maxCount]; null is 0. Dumps
// converted from CSV or spreadsheets give numbers as strings ("12"): a
// string holding such a number is taken for it, and an empty one for null.
func intVal(raw json.RawMessage, lo int, want string) (int, error) {
	if isNull(raw) {
		return 0, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		s, _ := strVal(raw)
		if text = strings.TrimSpace(s); text == "" && lo == 0 {
			return 0, nil
		} else if text == "" {
			return 0, wantErr(want, raw)
		}
	}
	if c := text[0]; c != '-' && c != '+' && (c < '0' || c > '9') {
		return 0, wantErr(want, raw)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		// 12.0 and 1e3 are integers too.
		f, ferr := strconv.ParseFloat(text, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > maxCount+1 || strings.ContainsAny(text, "xXpP_inIN") {
			return 0, wantErr(want, raw)
		}
		n = int64(f)
	}
	if n < int64(lo) || n > maxCount {
		return 0, wantErr(want, raw)
	}
	return int(n), nil
}

// timeVal decodes an RFC 3339 time, or a date (YYYY-MM-DD, which dumps
// scraped from web pages give) as midnight UTC, as sync --since reads it;
// null and "" are no time.
func timeVal(raw json.RawMessage) (*time.Time, error) {
	s, err := strVal(raw)
	if err != nil || s == "" {
		return nil, err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return nil, fmt.Errorf("%q is not an RFC 3339 time or a date (YYYY-MM-DD)", s)
		}
	}
	return &t, nil
}

func wantErr(want string, raw json.RawMessage) error {
	return fmt.Errorf("want %s, found %s", want, describe(raw))
}

// describe names a JSON value for an error message, quoting short ones.
func describe(raw json.RawMessage) string {
	const n = 40
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		s, _ := strVal(raw)
		if len(s) > n {
			s = strings.ToValidUTF8(s[:n], "") + "..."
		}
		return "the string " + strconv.Quote(s)
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return string(raw)
	case 'n':
		return "null"
	}
	if len(raw) > n {
		return "a number"
	}
	return "the number " + string(raw)
}
