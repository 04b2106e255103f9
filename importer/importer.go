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
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
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
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return collect(f, path, opt)
}

// Parse reads an issue dump held in data; name stands for it in errors.
// A bad opt.Repo is reported as a plain error, bad data as an *Error, or
// as *Errors when there are several: objects with bad fields are skipped
// and reported together (up to MaxErrors), and a syntax error ends the
// reading. With any error it returns no issues.
func Parse(data []byte, name string, opt Options) ([]bugscope.Issue, error) {
	return collect(bytes.NewReader(data), name, opt)
}

// collect reads a whole dump into memory, two copies of an issue making
// one in the first one's place.
func collect(r io.Reader, name string, opt Options) ([]bugscope.Issue, error) {
	var issues []bugscope.Issue
	at := map[issueKey]int{}
	err := Stream(r, name, opt, func(is bugscope.Issue, dup bool) error {
		k := issueKey{strings.ToLower(is.Repo), is.Number}
		if j, ok := at[k]; ok {
			if bugscope.Replaces(is.UpdatedAt, issues[j].UpdatedAt) {
				issues[j] = is
			}
			return nil
		}
		at[k] = len(issues)
		issues = append(issues, is)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return issues, nil
}

// Stream reads an issue dump from r in one pass and hands each good issue
// to emit as soon as it is read, in the order of the file; dup says that
// the file held an issue with the same repository and number before (the
// caller applies bugscope.Replaces, as a store does). Memory stays bounded
// by the largest issue object, whatever the size of the dump: an array is
// read element by element. Errors are Parse's; once one is found, emit is
// no longer called, but the reading goes on to find the others. An error
// from emit ends the reading and is returned as it is.
//
// A top-level object is a wrapper when its "issues" member holds an array
// and comes before any "number" member (or it has no "number" at all), and
// one issue otherwise.
func Stream(r io.Reader, name string, opt Options, emit func(is bugscope.Issue, dup bool) error) error {
	if opt.Repo != "" {
		if err := validRepo(opt.Repo); err != nil {
			return fmt.Errorf("--repo: %w", err)
		}
	}
	p := &parser{src: r, name: name, opt: opt, emit: emit, line: 1, seen: map[uint64]struct{}{}}
	p.need(len(bom))
	if bytes.HasPrefix(p.data, bom) {
		p.bom = true
	}
	i := 0
	if p.bom {
		i = len(bom)
	}
	i = p.skipSpace(i)
	if i == len(p.data) {
		if p.rerr != nil {
			return p.rerr
		}
		return p.errAt(i, -1, "", errors.New("no JSON data"))
	}
	for i < len(p.data) {
		p.discard(i)
		var err error
		switch p.data[0] {
		case '[':
			i, err = p.array(0)
		case '{':
			i, err = p.object(0)
		default:
			err = p.errAt(0, -1, "", fmt.Errorf("found %s where a JSON array or object should start", p.snippet(0)))
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return err
			}
			p.fail(e)
			break
		}
		i = p.skipSpace(i)
	}
	if p.rerr != nil {
		return p.rerr
	}
	switch {
	case p.total == 1:
		return p.errs[0]
	case p.total > 1:
		return &Errors{File: name, List: p.errs, Total: p.total}
	}
	return nil
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

// parser reads a dump through a window: data holds the input from file
// offset base on, read ahead as far as the value being looked at ends.
// Offsets inside the parser are indices into data; discard drops the
// bytes before a value once nothing refers to them.
type parser struct {
	src   io.Reader
	data  []byte
	base  int64 // file offset of data[0]
	line  int   // line of data[0], from 1
	col0  int64 // file offset of the start of that line
	done  bool  // src is exhausted: data holds the rest of the input
	rerr  error // reading src failed
	bom   bool
	name  string
	opt   Options
	emit  func(bugscope.Issue, bool) error
	seen  map[uint64]struct{} // hashes of the (repo, number) keys read
	obj   int                 // index of the next issue object
	errs  []*Error            // the first MaxErrors errors
	total int                 // errors found
}

// readSize is how much more of the input a read asks for, at least.
const readSize = 256 << 10

// more reads more input into the window; false at the end of it.
func (p *parser) more() bool {
	if p.done {
		return false
	}
	if cap(p.data)-len(p.data) < readSize {
		grown := make([]byte, len(p.data), max(2*cap(p.data), len(p.data)+readSize))
		copy(grown, p.data)
		p.data = grown
	}
	n, err := p.src.Read(p.data[len(p.data):cap(p.data)])
	p.data = p.data[:len(p.data)+n]
	if err != nil {
		p.done = true
		if err != io.EOF {
			p.rerr = err
		}
	}
	return n > 0 || !p.done
}

// need reads until data holds at least n bytes or the input ends.
func (p *parser) need(n int) {
	for len(p.data) < n && p.more() {
	}
}

// discard drops data[:n], keeping the line count.
func (p *parser) discard(n int) {
	if n == 0 {
		return
	}
	gone := p.data[:n]
	if k := bytes.Count(gone, []byte{'\n'}); k > 0 {
		p.line += k
		p.col0 = p.base + int64(bytes.LastIndexByte(gone, '\n')) + 1
	}
	p.base += int64(n)
	// Move what is left to the front when that is cheap, so that the
	// window does not grow with the file.
	rest := p.data[n:]
	if len(rest) <= cap(p.data)/2 {
		p.data = append(p.data[:0], rest...)
	} else {
		p.data = rest
	}
}

// value returns the end of the JSON value at data[s], reading on until
// it is complete or the input ends (complete false).
func (p *parser) value(s int) (end int, complete bool) {
	for {
		end, complete = skipValue(p.data, s)
		if complete && end < len(p.data) || p.done {
			return end, complete
		}
		p.more()
	}
}

// skipSpace skips white space from data[i], reading on as needed; at the
// end of the input it returns len(data).
func (p *parser) skipSpace(i int) int {
	for {
		i = skipSpace(p.data, i)
		if i < len(p.data) || !p.more() {
			return i
		}
	}
}

// object handles a top-level object: a wrapper with an "issues" array, or
// one issue. Its members are looked at in turn, the object kept whole in
// the window, until an "issues" array comes before any "number": then it
// is a wrapper, and its array is read element by element.
func (p *parser) object(s int) (int, error) {
	issues, number := -1, false
	i := p.skipSpace(s + 1)
	for i < len(p.data) && p.data[i] == '"' {
		kend, ok := p.value(i)
		if !ok {
			break
		}
		key := unquote(p.data[i:kend])
		i = p.skipSpace(kend)
		if i >= len(p.data) || p.data[i] != ':' {
			break
		}
		i = p.skipSpace(i + 1)
		if i >= len(p.data) {
			break
		}
		switch {
		case strings.EqualFold(key, "issues"):
			issues = i
			if !number && p.data[i] == '[' {
				return p.wrapper(s, issues)
			}
		case strings.EqualFold(key, "number"):
			number = true
		}
		end, ok := p.value(i)
		if !ok {
			break
		}
		i = p.skipSpace(end)
		if i >= len(p.data) || p.data[i] != ',' {
			break
		}
		i = p.skipSpace(i + 1)
	}
	if issues >= 0 && !number {
		return p.wrapper(s, issues)
	}
	return p.issue(s)
}

// array reads an array of issue objects starting at data[s] == '['.
func (p *parser) array(s int) (int, error) {
	i := p.skipSpace(s + 1)
	if i < len(p.data) && p.data[i] == ']' {
		return i + 1, nil
	}
	for {
		if i >= len(p.data) {
			return 0, p.eof(p.obj)
		}
		if p.data[i] != '{' {
			return 0, p.errAt(i, p.obj, "", fmt.Errorf("found %s, want an issue object", p.snippet(i)))
		}
		p.discard(i)
		end, err := p.issue(0)
		if err != nil {
			return 0, err
		}
		i = p.skipSpace(end)
		if i >= len(p.data) {
			return 0, p.eof(-1)
		}
		switch p.data[i] {
		case ',':
			i = p.skipSpace(i + 1)
		case ']':
			return i + 1, nil
		default:
			return 0, p.errAt(i, -1, "", fmt.Errorf("found %s after an array element, want , or ]", p.snippet(i)))
		}
	}
}

// wrapper reads an object whose value at issuesAt is the array of issues;
// the values of its other keys are only checked for syntax. Positions
// move as the array's elements are discarded: the members after it are
// found from where it ends.
func (p *parser) wrapper(s, issuesAt int) (int, error) {
	i := p.skipSpace(s + 1)
	inArray := false
	for {
		if i >= len(p.data) {
			return 0, p.eof(-1)
		}
		if p.data[i] != '"' {
			return 0, p.errAt(i, -1, "", fmt.Errorf("found %s, want an object key", p.snippet(i)))
		}
		end, err := p.skipChecked(i)
		if err != nil {
			return 0, err
		}
		i = p.skipSpace(end)
		if i >= len(p.data) {
			return 0, p.eof(-1)
		}
		if p.data[i] != ':' {
			return 0, p.errAt(i, -1, "", fmt.Errorf("found %s after an object key, want :", p.snippet(i)))
		}
		i = p.skipSpace(i + 1)
		if i >= len(p.data) {
			return 0, p.eof(-1)
		}
		if i == issuesAt && !inArray {
			if p.data[i] != '[' {
				return 0, p.errAt(i, -1, "issues", fmt.Errorf("found %s, want an array of issues", p.snippet(i)))
			}
			inArray = true
			end, err = p.array(i)
		} else {
			end, err = p.skipChecked(i)
		}
		if err != nil {
			return 0, err
		}
		i = p.skipSpace(end)
		if i >= len(p.data) {
			return 0, p.eof(-1)
		}
		switch p.data[i] {
		case ',':
			i = p.skipSpace(i + 1)
		case '}':
			return i + 1, nil
		default:
			return 0, p.errAt(i, -1, "", fmt.Errorf("found %s after an object value, want , or }", p.snippet(i)))
		}
	}
}

// issue reads the issue object at data[s] == '{' and returns where it
// ends.
func (p *parser) issue(s int) (int, error) {
	idx := p.obj
	p.obj++
	end, complete := p.value(s)
	if !validJSON(p.data[s:end]) {
		// validJSON says only whether; Unmarshal says where.
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
	k := keyHash(is.Repo, is.Number)
	_, dup := p.seen[k]
	p.seen[k] = struct{}{}
	if dup && p.opt.OnDuplicate != nil {
		p.opt.OnDuplicate(is.Ref())
	}
	if p.total == 0 {
		if err := p.emit(is, dup); err != nil {
			return 0, err
		}
	}
	return end, nil
}

// keyHash identifies an issue by repository (without regard to case, as
// GitHub names are) and number in 8 bytes: a million issues' keys take
// some 20 MB. Two keys sharing a hash (odds of about 1 in 10^7 at a
// million issues) would count one duplicate too many.
func keyHash(repo string, number int) uint64 {
	h := fnv.New64a()
	io.WriteString(h, strings.ToLower(repo))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(number))
	h.Write(b[:])
	return h.Sum64()
}

// skipChecked skips the value at d[s] after checking its syntax.
func (p *parser) skipChecked(s int) (int, error) {
	end, complete := p.value(s)
	if end == s {
		return 0, p.errAt(s, -1, "", fmt.Errorf("found %s, want a JSON value", p.snippet(s)))
	}
	if !validJSON(p.data[s:end]) {
		return 0, p.jsonErr(json.Unmarshal(p.data[s:end], new(json.RawMessage)), s, end, complete, -1)
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
	line := p.line + bytes.Count(before, []byte{'\n'})
	var col int
	if k := bytes.LastIndexByte(before, '\n'); k >= 0 {
		col = off - k
	} else {
		col = int(p.base+int64(off)-p.col0) + 1
	}
	if line == 1 && p.bom {
		col = max(col-len(bom), 1)
	}
	return &Error{File: p.name, Line: line, Column: col, Offset: p.base + int64(off), Object: obj, Field: field, Err: err}
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

// snippet is snippet of the value at data[i], read far enough ahead that
// it does not depend on where the window ends.
func (p *parser) snippet(i int) string {
	p.need(i + snippetLen + 1)
	return snippet(p.data, i)
}

const snippetLen = 24

// snippet shows the value (or the stray byte) at d[i] in an error message.
func snippet(d []byte, i int) string {
	end, _ := skipValue(d, i)
	end = max(end, i+1)
	s := d[i:min(end, i+snippetLen)]
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
	// A backslash cannot split a UTF-8 sequence, so the runs between
	// escapes are valid when the whole is: checked once, not per run.
	valid := utf8.Valid(in)
	if valid && bytes.IndexByte(in, '\\') < 0 {
		return string(in)
	}
	var b strings.Builder
	b.Grow(len(in))
	for len(in) > 0 {
		k := bytes.IndexByte(in, '\\')
		if k < 0 {
			k = len(in)
		}
		if valid {
			b.Write(in[:k])
		} else {
			writeUTF8(&b, in[:k])
		}
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
