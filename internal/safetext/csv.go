package safetext

import (
	"encoding/csv"
	"io"
	"regexp"
	"strings"
)

// CSVCell makes a cell safe for a terminal (Text: line breaks and tabs
// stay, the CSV writer quotes them) and for a spreadsheet: a cell whose
// first character other than white space is = + - or @, or that starts with a
// tab or a line break (a carriage return), would run as a formula (=HYPERLINK(...),
// =cmd|...), so it gets a leading single quote, which spreadsheets show as
// text. A plain number such as -0.5 is a number, not a formula, and stays.
func CSVCell(s string) string {
	t := Text(s)
	if t == "" || plainNumber.MatchString(t) {
		return t
	}
	rest := strings.TrimLeft(t, " \t\n")
	if t[0] == '\t' || t[0] == '\n' || rest != "" && strings.IndexByte("=+-@", rest[0]) >= 0 {
		return "'" + t
	}
	return t
}

var plainNumber = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)

// CSVWriter is a csv.Writer whose every cell goes through CSVCell.
type CSVWriter struct{ *csv.Writer }

// NewCSVWriter returns a CSVWriter writing to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{csv.NewWriter(w)} }

// Write writes one record, each cell made safe.
func (w *CSVWriter) Write(record []string) error {
	safe := make([]string, len(record))
	for i, c := range record {
		safe[i] = CSVCell(c)
	}
	return w.Writer.Write(safe)
}
