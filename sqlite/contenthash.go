package sqlite

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"github.com/bugscope/bugscope"
)

// contentHasher computes content hashes: the SHA-256 of the issue's stored
// fields as json.Marshal encodes them in a struct of the fields T, B, S, A,
// L, C, U, X, N, R, URL and PR (the hash earlier versions stored, which
// stored issues and the search index's state compare with), written here
// without reflection, straight into a buffer kept for the next issue.
// TestContentHashMatchesJSON checks it byte for byte against json.Marshal.
type contentHasher struct {
	buf []byte
	h   hash.Hash
}

func (c *contentHasher) hash(is *bugscope.Issue) string {
	b := append(c.buf[:0], `{"T":`...)
	b = appendJSONString(b, is.Title)
	b = append(b, `,"B":`...)
	b = appendJSONString(b, is.Body)
	b = append(b, `,"S":`...)
	b = appendJSONString(b, is.State)
	b = append(b, `,"A":`...)
	b = appendJSONString(b, is.AuthorAssociation)
	b = append(b, `,"L":`...)
	if is.Labels == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, l := range is.Labels {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, l)
		}
		b = append(b, ']')
	}
	for _, t := range [...]struct {
		key string
		s   any
	}{{`,"C":`, formatTime(is.CreatedAt)}, {`,"U":`, formatTime(is.UpdatedAt)}, {`,"X":`, formatTime(is.ClosedAt)}} {
		b = append(b, t.key...)
		if s, ok := t.s.(string); ok {
			b = appendJSONString(b, s)
		} else {
			b = append(b, "null"...)
		}
	}
	b = append(b, `,"N":`...)
	b = strconv.AppendInt(b, int64(is.Comments), 10)
	b = append(b, `,"R":`...)
	b = strconv.AppendInt(b, int64(is.Reactions), 10)
	b = append(b, `,"URL":`...)
	b = appendJSONString(b, is.URL)
	b = append(b, `,"PR":`...)
	b = strconv.AppendBool(b, is.IsPullRequest)
	b = append(b, '}')
	c.buf = b
	if c.h == nil {
		c.h = sha256.New()
	}
	c.h.Reset()
	c.h.Write(b)
	var sum [sha256.Size]byte
	return hex.EncodeToString(c.h.Sum(sum[:0]))[:32]
}

// appendJSONString appends s as json.Marshal encodes a string: quoted,
// with <, > and & escaped for HTML, invalid UTF-8 as \ufffd, and U+2028
// and U+2029 escaped. Plain ASCII is skipped eight bytes at a time.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start, i := 0, 0
	for i < len(s) {
		if i+8 <= len(s) {
			w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			// Flag each byte that is not ASCII, a control character, or
			// one of " \ < > & (the "has a byte below n"/"has a zero
			// byte" word tests: a flag can be wrong only above a true
			// one, so the lowest flag is exact).
			q, bs, lt, gt, amp := w^(ones*'"'), w^(ones*'\\'), w^(ones*'<'), w^(ones*'>'), w^(ones*'&')
			bad := (w | (w-ones*0x20)&^w | (q-ones)&^q | (bs-ones)&^bs | (lt-ones)&^lt | (gt-ones)&^gt | (amp-ones)&^amp) & highs
			if bad == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(bad) >> 3
		}
		// The byte at i needs a look, as json.Marshal gives it.
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe(c) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

const hexDigits = "0123456789abcdef"

// htmlSafe reports whether json.Marshal writes the ASCII byte c as it is.
func htmlSafe(c byte) bool {
	return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}
