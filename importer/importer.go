// Package importer reads issue dumps in the shape of the GitHub REST API
// (the objects GET /repos/OWNER/NAME/issues returns) into bugscope.Issue
// values.
//
// The layout of a file is detected from its content. Accepted are:
//
//   - a JSON array of issue objects;
//   - a JSON object whose "issues" key holds such an array (and which has
//     no "number" key); its other keys are ignored;
//   - JSON Lines, or any other stream of concatenated issue objects;
//   - a single issue object.
//
// A stream may mix these, so concatenated arrays, as `gh api --paginate`
// writes them, work too. A leading UTF-8 byte order mark is skipped. An
// empty array yields no issues; a file without any JSON value is an error.
//
// Bad input yields an *Error that names the file, the line and column, the
// byte offset, the index of the object in the file and the field.
package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bugscope/bugscope"
)

// Options control how a dump is read.
type Options struct {
	// Repo ("owner/name") is the repository of objects that carry no
	// repository_url, html_url or url. An object whose URL names another
	// repository is an error.
	Repo string
	// OnDuplicate, when not nil, is called for each issue whose number
	// occurred before in the same file and repository. Of two copies the
	// newer wins, as across files (bugscope.Replaces: the later copy
	// unless the earlier has a later updated_at, or the later has none),
	// in the earlier one's place.
	OnDuplicate func(ref bugscope.IssueRef)
}

// Error describes bad input. Line and Column (in bytes) count from 1;
// Offset counts bytes from 0 and is the length of the data when the data
// ended too early. Object is the 0-based index of the issue object in the
// file, or -1 when the error lies outside any object. Field names the
// offending field ("created_at", "labels[2]", "reactions.total_count"), or
// is empty.
type Error struct {
	File         string
	Line, Column int
	Offset       int64
	Object       int
	Field        string
	Err          error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d (byte %d", e.File, e.Line, e.Column, e.Offset)
	if e.Object >= 0 {
		fmt.Fprintf(&b, ", object %d", e.Object)
	}
	b.WriteString("): ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind makes a malformed dump invalid input (bugscope.ErrorCode).
func (e *Error) ErrorKind() string { return bugscope.EInvalid }

// MaxErrors bounds the errors reported for one file.
const MaxErrors = 20

// Errors are the errors of one file with more than one: every object with
// a bad field is reported, up to MaxErrors, so that a dump can be mended
// in one go. A syntax error ends the reading, so it comes last.
// errors.As finds each *Error in it.
type Errors struct {
	File  string
	List  []*Error // the first MaxErrors
	Total int      // all the errors found
}

func (e *Errors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d errors", e.File, e.Total)
	if e.Total > len(e.List) {
		fmt.Fprintf(&b, " (the first %d)", len(e.List))
	}
	b.WriteByte(':')
	for _, x := range e.List {
		b.WriteString("\n  " + x.Error())
	}
	if n := e.Total - len(e.List); n > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more", n)
	}
	return b.String()
}

func (e *Errors) Unwrap() []error {
	out := make([]error, len(e.List))
	for i, x := range e.List {
		out[i] = x
	}
	return out
}

// ParseFile reads the issue dump at path.
func ParseFile(path string, opt Options) ([]bugscope.Issue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path, opt)
}

// Parse reads an issue dump held in data; name stands for it in errors.
// A bad opt.Repo is reported as a plain error, bad data as an *Error, or
// as *Errors when there are several: objects with bad fields are skipped
// and reported together (up to MaxErrors), and a syntax error ends the
// reading. With any error it returns no issues.
func Parse(data []byte, name string, opt Options) ([]bugscope.Issue, error) {
	if opt.Repo != "" {
		if err := validRepo(opt.Repo); err != nil {
			return nil, fmt.Errorf("--repo: %w", err)
		}
	}
	p := &parser{data: data, name: name, opt: opt, seen: map[issueKey]int{}}
	i := 0
	if bytes.HasPrefix(data, bom) {
		i = len(bom)
	}
	i = skipSpace(data, i)
	if i == len(data) {
		return nil, p.errAt(i, -1, "", errors.New("no JSON data"))
	}
	for i < len(data) {
		var err error
		switch data[i] {
		case '[':
			i, err = p.array(i)
		case '{':
			i, err = p.object(i)
		default:
			err = p.errAt(i, -1, "", fmt.Errorf("found %s where a JSON array or object should start", snippet(data, i)))
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return nil, err
			}
			p.fail(e)
			break
		}
		i = skipSpace(data, i)
	}
	switch {
	case p.total == 1:
		return nil, p.errs[0]
	case p.total > 1:
		return nil, &Errors{File: name, List: p.errs, Total: p.total}
	}
	return p.issues, nil
}

// fail records an error, keeping the first MaxErrors.
func (p *parser) fail(e *Error) {
	p.total++
	if len(p.errs) < MaxErrors {
		p.errs = append(p.errs, e)
	}
}

var bom = []byte("\xef\xbb\xbf")

type issueKey struct {
	repo   string // lower case: GitHub names are case-insensitive
	number int
}

type parser struct {
	data   []byte
	name   string
	opt    Options
	issues []bugscope.Issue
	seen   map[issueKey]int // index in issues
	obj    int              // index of the next issue object
	errs   []*Error         // the first MaxErrors errors
	total  int              // errors found
}

// object handles a top-level object: a wrapper with an "issues" array, or
// one issue.
func (p *parser) object(s int) (int, error) {
	issues, number := -1, false
	members(p.data, s, func(k []byte, start, _ int) {
		switch key := unquote(k); {
		case strings.EqualFold(key, "issues"):
			issues = start
		case strings.EqualFold(key, "number"):
			number = true
		}
	})
	if issues >= 0 && !number {
		return p.wrapper(s, issues)
	}
	return p.issue(s)
}

// array reads an array of issue objects starting at d[s] == '['.
func (p *parser) array(s int) (int, error) {
	d := p.data
	i := skipSpace(d, s+1)
	if i < len(d) && d[i] == ']' {
		return i + 1, nil
	}
	for {
		if i >= len(d) {
			return 0, p.eof(p.obj)
		}
		if d[i] != '{' {
			return 0, p.errAt(i, p.obj, "", fmt.Errorf("found %s, want an issue object", snippet(d, i)))
		}
		end, err := p.issue(i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(d, end)
		if i >= len(d) {
			return 0, p.eof(-1)
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case ']':
			return i + 1, nil
		default:
			return 0, p.errAt(i, -1, "", fmt.Errorf("found %s after an array element, want , or ]", snippet(d, i)))
		}
	}
}

// wrapper reads an object whose value at issuesAt is the array of issues;
// the values of its other keys are only checked for syntax.
func (p *parser) wrapper(s, issuesAt int) (int, error) {
	d := p.data
	i := skipSpace(d, s+1)
	for {
		if i >= len(d) {
			return 0, p.eof(-1)
		}
		if d[i] != '"' {
			return 0, p.errAt(i, -1, "", fmt.Errorf("found %s, want an object key", snippet(d, i)))
		}
		end, err := p.skipChecked(i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(d, end)
		if i >= len(d) {
			return 0, p.eof(-1)
		}
		if d[i] != ':' {
			return 0, p.errAt(i, -1, "", fmt.Errorf("found %s after an object key, want :", snippet(d, i)))
		}
		i = skipSpace(d, i+1)
		if i >= len(d) {
			return 0, p.eof(-1)
		}
		if i == issuesAt {
			if d[i] != '[' {
				return 0, p.errAt(i, -1, "issues", fmt.Errorf("found %s, want an array of issues", snippet(d, i)))
			}
			end, err = p.array(i)
		} else {
			end, err = p.skipChecked(i)
		}
		if err != nil {
			return 0, err
		}
		i = skipSpace(d, end)
		if i >= len(d) {
			return 0, p.eof(-1)
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, p.errAt(i, -1, "", fmt.Errorf("found %s after an object value, want , or }", snippet(d, i)))
		}
	}
}

// issue reads the issue object at d[s] == '{' and returns where it ends.
func (p *parser) issue(s int) (int, error) {
	idx := p.obj
	p.obj++
	end, complete := skipValue(p.data, s)
	if !json.Valid(p.data[s:end]) {
		// Valid says only whether; Unmarshal says where.
		return 0, p.jsonErr(json.Unmarshal(p.data[s:end], new(json.RawMessage)), s, end, complete, idx)
	}
	var raw rawIssue
	members(p.data, s, func(key []byte, start, end int) {
		raw.set(unquote(key), p.data[start:end])
	})
	is, ferr := convert(&raw, p.opt.Repo)
	if ferr != nil {
		// The object is well-formed: note what is wrong and read on, so
		// that one run names every bad object.
		p.fail(p.errAt(p.locate(s, ferr.path), idx, ferr.name(), ferr.err))
		return end, nil
	}
	k := issueKey{strings.ToLower(is.Repo), is.Number}
	if j, dup := p.seen[k]; dup {
		if bugscope.Replaces(is.UpdatedAt, p.issues[j].UpdatedAt) {
			p.issues[j] = is
		}
		if p.opt.OnDuplicate != nil {
			p.opt.OnDuplicate(is.Ref())
		}
	} else {
		p.seen[k] = len(p.issues)
		p.issues = append(p.issues, is)
	}
	return end, nil
}

// skipChecked skips the value at d[s] after checking its syntax.
func (p *parser) skipChecked(s int) (int, error) {
	end, complete := skipValue(p.data, s)
	if end == s {
		return 0, p.errAt(s, -1, "", fmt.Errorf("found %s, want a JSON value", snippet(p.data, s)))
	}
	if err := json.Unmarshal(p.data[s:end], new(json.RawMessage)); err != nil {
		return 0, p.jsonErr(err, s, end, complete, -1)
	}
	return end, nil
}

// jsonErr turns an error of json.Unmarshal(d[s:end]) into an *Error.
// complete tells whether skipValue found the end of the value; if not, the
// data ran out inside it.
func (p *parser) jsonErr(err error, s, end int, complete bool, obj int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, the offending one included; at the
		// end of the data it is the length of the input.
		if !complete && se.Offset >= int64(end-s) {
			return p.eof(obj)
		}
		return p.errAt(s+max(int(se.Offset)-1, 0), obj, "", se)
	}
	return p.errAt(s, obj, "", err)
}

func (p *parser) eof(obj int) error {
	return p.errAt(len(p.data), obj, "", fmt.Errorf("data ends too early (truncated file?): %w", io.ErrUnexpectedEOF))
}

func (p *parser) errAt(off, obj int, field string, err error) *Error {
	before := p.data[:off]
	line := 1 + bytes.Count(before, []byte{'\n'})
	col := off - bytes.LastIndexByte(before, '\n')
	if line == 1 && bytes.HasPrefix(p.data, bom) {
		col = max(col-len(bom), 1)
	}
	return &Error{File: p.name, Line: line, Column: col, Offset: int64(off), Object: obj, Field: field, Err: err}
}

// locate returns the offset of the value at path (keys and array indices)
// inside the valid object at d[obj], or of the deepest part of it found.
func (p *parser) locate(obj int, path []any) int {
	pos := obj
	for _, step := range path {
		next := -1
		switch s := step.(type) {
		case string:
			next = p.field(pos, s)
		case int:
			next = p.elem(pos, s)
		}
		if next < 0 {
			break
		}
		pos = next
	}
	return pos
}

// field returns the offset of the value of key in the object at d[obj],
// or -1. Like encoding/json, it matches keys without regard to case, and
// the last of repeated keys counts.
func (p *parser) field(obj int, key string) int {
	at := -1
	members(p.data, obj, func(k []byte, start, _ int) {
		if strings.EqualFold(unquote(k), key) {
			at = start
		}
	})
	return at
}

// members calls fn with the key (quoted) and the bounds of the value of
// each member of the object at d[obj]; end is len(d) when the value is cut
// short. It stops quietly where the syntax goes wrong, so callers that
// need valid JSON check it first.
func members(d []byte, obj int, fn func(key []byte, start, end int)) {
	if obj >= len(d) || d[obj] != '{' {
		return
	}
	i := skipSpace(d, obj+1)
	for i < len(d) && d[i] == '"' {
		kend, ok := skipString(d, i)
		if !ok {
			return
		}
		key := d[i:kend]
		i = skipSpace(d, kend)
		if i >= len(d) || d[i] != ':' {
			return
		}
		i = skipSpace(d, i+1)
		if i >= len(d) {
			return
		}
		end, ok := skipValue(d, i)
		fn(key, i, end)
		if !ok {
			return
		}
		i = skipSpace(d, end)
		if i >= len(d) || d[i] != ',' {
			return
		}
		i = skipSpace(d, i+1)
	}
}

// elem returns the offset of element n of the array at d[arr], or -1.
func (p *parser) elem(arr, n int) int {
	d := p.data
	if arr >= len(d) || d[arr] != '[' {
		return -1
	}
	i := skipSpace(d, arr+1)
	for k := 0; i < len(d) && d[i] != ']'; k++ {
		if k == n {
			return i
		}
		end, ok := skipValue(d, i)
		if !ok {
			break
		}
		i = skipSpace(d, end)
		if i >= len(d) || d[i] != ',' {
			break
		}
		i = skipSpace(d, i+1)
	}
	return -1
}

func skipSpace(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at d[i], assuming
// it is valid; ok is false when the data ends inside it. Invalid JSON gives
// some end that json.Unmarshal then rejects at the right place.
func skipValue(d []byte, i int) (end int, ok bool) {
	switch d[i] {
	case '{', '[':
		depth := 0
		for ; i < len(d); i++ {
			switch d[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			case '"':
				j, ok := skipString(d, i)
				if !ok {
					return len(d), false
				}
				i = j - 1
			}
		}
		return len(d), false
	case '"':
		return skipString(d, i)
	}
	for i < len(d) && !isDelim(d[i]) {
		i++
	}
	return i, true
}

func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ':', '[', ']', '{', '}', '"':
		return true
	}
	return false
}

// skipString returns the end of the string starting at d[i] == '"'.
func skipString(d []byte, i int) (int, bool) {
	j := i + 1
	for {
		k := bytes.IndexByte(d[j:], '"')
		if k < 0 {
			return len(d), false
		}
		j += k
		n := 0 // backslashes before the quote; an odd count escapes it
		for m := j - 1; m > i && d[m] == '\\'; m-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, true
		}
		j++
	}
}

// snippet shows the value (or the stray byte) at d[i] in an error message.
func snippet(d []byte, i int) string {
	end, _ := skipValue(d, i)
	end = max(end, i+1)
	s := d[i:min(end, i+24)]
	if k := bytes.IndexAny(s, "\r\n"); k >= 0 {
		s = s[:k]
	}
	q := strconv.Quote(string(s))
	if i+len(s) < end {
		q += "..."
	}
	return q
}

// unquote decodes the JSON string b, which must be valid.
func unquote(b []byte) string {
	return unescape(b[1 : len(b)-1])
}

// unescape decodes the inside of a valid JSON string as encoding/json does,
// replacing invalid UTF-8 and lone surrogates with U+FFFD, and NUL (\u0000)
// too. It saves the
// second validation json.Unmarshal would make of long bodies.
func unescape(in []byte) string {
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in)
	}
	var b strings.Builder
	b.Grow(len(in))
	for len(in) > 0 {
		k := bytes.IndexByte(in, '\\')
		if k < 0 {
			k = len(in)
		}
		writeUTF8(&b, in[:k])
		if in = in[k:]; len(in) < 2 {
			break
		}
		switch c := in[1]; c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if len(in) < 6 { // only in invalid JSON, which lenient walks meet
				b.WriteRune(utf8.RuneError)
				return b.String()
			}
			r := hex4(in[2:])
			in = in[6:]
			if utf16.IsSurrogate(r) {
				if len(in) >= 6 && in[0] == '\\' && in[1] == 'u' {
					if dec := utf16.DecodeRune(r, hex4(in[2:])); dec != utf8.RuneError {
						b.WriteRune(dec)
						in = in[6:]
						continue
					}
				}
				r = utf8.RuneError
			}
			if r == 0 {
				// SQLite's text functions (LIKE, length) end a text at a
				// NUL, so a NUL would hide the rest of the text from
				// queries: it is stored as U+FFFD, like invalid UTF-8.
				r = utf8.RuneError
			}
			b.WriteRune(r) // -1 from bad hex becomes U+FFFD too
			continue
		default: // " \\ /
			b.WriteByte(c)
		}
		in = in[2:]
	}
	return b.String()
}

// writeUTF8 writes s, replacing each byte of invalid UTF-8 with U+FFFD.
func writeUTF8(b *strings.Builder, s []byte) {
	if utf8.Valid(s) {
		b.Write(s)
		return
	}
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(r)
		} else {
			b.Write(s[:n])
		}
		s = s[n:]
	}
}

// hex4 reads four hex digits, or gives -1.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
