package sqlite

import (
	"strings"
	"unicode/utf8"

	"github.com/bugscope/bugscope"
)

// labelWhere is the condition (" AND ...", or "") of a ClassifiedFilter's
// label values, confidence bounds and issues, on the classification c of
// the issue i.
func labelWhere(f bugscope.ClassifiedFilter) (string, []any) {
	var b strings.Builder
	var args []any
	if f.Refs != nil {
		// the issues' ids first, each by the (repo, number) index, then
		// their classifications by issue id; none, when Refs is empty
		b.WriteString(` AND c.issue_id IN (SELECT NULL`)
		for _, r := range f.Refs {
			b.WriteString(` UNION ALL SELECT id FROM issues WHERE repo = ? AND number = ?`)
			args = append(args, r.Repo, r.Number)
		}
		b.WriteString(`)`)
	}
	for _, m := range f.Values {
		if len(m.Values) == 0 {
			continue
		}
		b.WriteString(` AND EXISTS (SELECT 1 FROM classification_labels xl WHERE xl.classification_id = c.id AND xl.dimension = ? AND (`)
		args = append(args, m.Dimension)
		for i, v := range m.Values {
			if i > 0 {
				b.WriteString(` OR `)
			}
			b.WriteString(`xl.value = ?`)
			args = append(args, v)
			if m.Groups {
				// a value of the group: it begins with the group's name
				// and a dot
				b.WriteString(` OR substr(xl.value, 1, ?) = ?`)
				args = append(args, utf8.RuneCountInString(v)+1, v+".")
			}
		}
		b.WriteString(`))`)
	}
	if f.MinConfidence != nil {
		b.WriteString(` AND c.confidence >= ?`)
		args = append(args, *f.MinConfidence)
	}
	if f.MaxConfidence != nil {
		b.WriteString(` AND c.confidence <= ?`)
		args = append(args, *f.MaxConfidence)
	}
	return b.String(), args
}
