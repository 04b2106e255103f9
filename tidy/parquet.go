package tidy

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// Schema is the Parquet schema of the table: strings, numbers and times
// optional (null where the CSV cell is empty), integers required.
func Schema(tax *taxonomy.Taxonomy) *parquet.Schema {
	g := parquet.Group{}
	for _, c := range Columns(tax) {
		g[c.Name] = node(c.Kind)
	}
	return parquet.NewSchema("issues", g)
}

func node(kind string) parquet.Node {
	switch kind {
	case Integer:
		return parquet.Int(64)
	case Number:
		return parquet.Optional(parquet.Leaf(parquet.DoubleType))
	case Timestamp:
		return parquet.Optional(parquet.Timestamp(parquet.Millisecond))
	}
	return parquet.Optional(parquet.String())
}

// WriteParquet writes the table as one Parquet file (Snappy-compressed),
// with the columns' meaning in the file's key-value metadata.
func WriteParquet(w io.Writer, tax *taxonomy.Taxonomy, items []bugscope.Classified) error {
	cols := Columns(tax)
	schema := Schema(tax)
	// A Parquet group orders its columns by name: find each one's index.
	index := map[string]int{}
	for i, path := range schema.Columns() {
		index[path[0]] = i
	}
	opts := []parquet.WriterOption{schema, parquet.Compression(&parquet.Snappy)}
	for _, c := range cols {
		opts = append(opts, parquet.KeyValueMetadata("bugscope.column."+c.Name, c.Doc))
	}
	pw := parquet.NewWriter(w, opts...)
	rows := Rows(tax, items)
	buf := make([]parquet.Row, 0, 256)
	flush := func() error {
		if _, err := pw.WriteRows(buf); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
		buf = buf[:0]
		return nil
	}
	for _, r := range rows {
		row := make(parquet.Row, len(cols))
		for i, c := range r {
			col := index[cols[i].Name]
			row[col] = value(cols[i].Kind, c, col)
		}
		buf = append(buf, row)
		if len(buf) == cap(buf) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return pw.Close()
}

func value(kind string, c Cell, col int) parquet.Value {
	if kind == Integer {
		return parquet.Int64Value(c.I).Level(0, 0, col)
	}
	if c.Null {
		return parquet.NullValue().Level(0, 0, col)
	}
	var v parquet.Value
	switch kind {
	case Number:
		v = parquet.DoubleValue(c.F)
	case Timestamp:
		v = parquet.Int64Value(c.T.UnixMilli())
	default:
		v = parquet.ByteArrayValue([]byte(c.S))
	}
	return v.Level(0, 1, col)
}
