package importer

import (
	"encoding/binary"
	"math/bits"
)

// validJSON reports whether d is one JSON value with optional white space
// around it, exactly as json.Valid does (FuzzValid checks it), but several
// times faster: strings, most of a dump's bytes, are scanned eight bytes
// at a time. Where it says no, json.Unmarshal says where and why.
func validJSON(d []byte) bool {
	i := skipSpace(d, 0)
	var stack []byte // '{' or '[' of each open container
	for {
		// A value starts at d[i].
		if i >= len(d) {
			return false
		}
		switch c := d[i]; {
		case c == '{' || c == '[':
			if len(stack) >= maxDepth {
				return false
			}
			stack = append(stack, c)
			i = skipSpace(d, i+1)
			if i < len(d) && d[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				i++
				stack = stack[:len(stack)-1]
				break
			}
			if c == '{' {
				if i = objectKey(d, i); i < 0 {
					return false
				}
			}
			continue
		case c == '"':
			var ok bool
			if i, ok = scanString(d, i+1); !ok {
				return false
			}
		case c == '-' || '0' <= c && c <= '9':
			if i = scanNumber(d, i); i < 0 {
				return false
			}
		case c == 't':
			if i = literal(d, i, "true"); i < 0 {
				return false
			}
		case c == 'f':
			if i = literal(d, i, "false"); i < 0 {
				return false
			}
		case c == 'n':
			if i = literal(d, i, "null"); i < 0 {
				return false
			}
		default:
			return false
		}
		// A value ended before d[i]: close containers, or go on to the
		// next element or member.
		for {
			i = skipSpace(d, i)
			if len(stack) == 0 {
				return i == len(d)
			}
			if i >= len(d) {
				return false
			}
			top := stack[len(stack)-1]
			if d[i] == top+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if d[i] != ',' {
				return false
			}
			i = skipSpace(d, i+1)
			if top == '{' {
				if i = objectKey(d, i); i < 0 {
					return false
				}
			}
			break
		}
	}
}

// maxDepth is encoding/json's limit on nesting.
const maxDepth = 10000

// objectKey reads a key and its colon at d[i], returning where the value
// starts (white space skipped), or -1.
func objectKey(d []byte, i int) int {
	if i >= len(d) || d[i] != '"' {
		return -1
	}
	i, ok := scanString(d, i+1)
	if !ok {
		return -1
	}
	i = skipSpace(d, i)
	if i >= len(d) || d[i] != ':' {
		return -1
	}
	return skipSpace(d, i+1)
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// scanString checks the inside of a string from d[i] (after the opening
// quote) and returns the index after the closing quote.
func scanString(d []byte, i int) (int, bool) {
	for {
		// Skip eight bytes at a time to the first quote, backslash or
		// control character (the "has a byte below n" and "has a zero
		// byte" word tests: a flag can be wrong only above a true one, so
		// the lowest flag is exact).
		for i+8 <= len(d) {
			w := binary.LittleEndian.Uint64(d[i:])
			q, b := w^(ones*'"'), w^(ones*'\\')
			if f := ((w-ones*0x20)&^w | (q-ones)&^q | (b-ones)&^b) & highs; f != 0 {
				i += bits.TrailingZeros64(f) >> 3
				break
			}
			i += 8
		}
		if i >= len(d) {
			return i, false
		}
		switch c := d[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			if i+1 >= len(d) {
				return i, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || hex4(d[i+2:i+6]) < 0 {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		default:
			i++
		}
	}
}

// scanNumber reads a JSON number at d[i] and returns where it ends, or -1.
func scanNumber(d []byte, i int) int {
	if d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return -1
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		i = digits(d, i+1)
	default:
		return -1
	}
	if i < len(d) && d[i] == '.' {
		j := digits(d, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(d, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// literal reads the literal lit at d[i] and returns where it ends, or -1.
func literal(d []byte, i int, lit string) int {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}
