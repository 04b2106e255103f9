package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/study"
)

// sampleExport are the flags of bugscope export --sample.
type sampleExport struct {
	sample  string
	raters  []string
	partial bool
	card    string
}

func (s *sampleExport) register(c *cobra.Command) {
	c.Flags().StringVar(&s.sample, "sample", "", "write this sample's benchmark dataset (final labels, raters' labels, data card)")
	c.Flags().StringSliceVar(&s.raters, "raters", nil, "with --sample: whose answers make the final labels (default: every rater)")
	c.Flags().BoolVar(&s.partial, "partial", false, "with --sample: leave out unsettled and unanswered issues instead of refusing")
	c.Flags().StringVar(&s.card, "card", "", "with --sample: write the data card here (.md; .json beside it); default beside -o")
}

// cardPaths names the card files: FILE.card.md and FILE.card.json beside
// the data file FILE (its extension kept, so that a JSON Lines export and
// a CSV export of one sample each have their own card), or where --card
// says.
func cardPaths(out, card string) (md, js string) {
	base := card
	if base == "" {
		if out == "" || out == "-" {
			return "", ""
		}
		base = out + ".card"
	} else {
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	return base + ".md", base + ".json"
}

func (a *app) exportSample(cmd *cobra.Command, sx sampleExport, format, out string) error {
	if format != "jsonl" && format != "csv" {
		return usageError("--format %q: want jsonl or csv", format)
	}
	return a.withStudy(cmd, readDB, sx.sample, func(svc *study.Service) error {
		md, js := cardPaths(out, sx.card)
		opt := study.ExportOptions{Raters: sx.raters, Partial: sx.partial, Now: a.now()}
		if out != "" && out != "-" {
			opt.DataFile = filepath.Base(out)
		}
		if md != "" {
			opt.CardFile = filepath.Base(md)
		}
		ds, err := svc.Dataset(cmd.Context(), sx.sample, opt)
		if err != nil {
			return err
		}
		write := ds.WriteJSONL
		if format == "csv" {
			write = ds.WriteCSV
		}
		if err := a.output(out, write); err != nil {
			return err
		}
		if md == "" {
			a.logf("no data card written: give -o FILE or --card FILE.md")
			return nil
		}
		if err := writeTo(md, nil, func(w io.Writer) error { return ds.Card.WriteMarkdown(w) }); err != nil {
			return err
		}
		if err := writeTo(js, nil, func(w io.Writer) error { return ds.Card.WriteJSON(w) }); err != nil {
			return err
		}
		items := ds.Card.Items
		msg := fmt.Sprintf("sample %q: %d issues exported (%d labelled, %d left out)", sx.sample, items.Exported, items.Included, items.Excluded)
		if items.Pending+items.Unrated > 0 {
			msg += fmt.Sprintf("; not exported: %d unsettled, %d unanswered", items.Pending, items.Unrated)
		}
		a.logf("%s", msg)
		for _, f := range []string{out, md, js} {
			if f != "" && f != "-" {
				a.logf("wrote %s", f)
			}
		}
		return nil
	})
}
