package safetext

import (
	"bytes"
	"encoding/json"
	"io"
	"unicode/utf8"
)

// JSON escapes, in JSON text b, the characters encoding/json writes raw
// but a terminal acts on (C1 controls, DEL, bidirectional controls), and
// replaces invalid UTF-8 with \ufffd, as \u escapes: they can only occur
// inside strings, so the result is the same JSON value, safe to cat. It
// returns b itself when there is nothing to escape.
func JSON(b []byte) []byte {
	i := 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			if b[i] == 0x7f {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || IsControl(r) {
			break
		}
		i += n
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...)
		case r >= 0x20 && IsControl(r): // C0 is escaped by any JSON encoder
			out = append(out, '\\', 'u', hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15])
		default:
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

const hex = "0123456789abcdef"

// WriteJSON writes v as JSON indented by two spaces, with a final newline,
// escaped by JSON.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(JSON(buf.Bytes()))
	return err
}
