package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/taxonomy"
)

type taxonomyOptions struct {
	name string
	list bool
	json jsonFlags
}

func (a *app) taxonomyCmd() *cobra.Command {
	var o taxonomyOptions
	c := &cobra.Command{
		Use:   "taxonomy",
		Short: "Print a taxonomy: its dimensions, values and definitions",
		Long: `Taxonomy prints the taxonomy named by --name (a built-in one), or the one
--taxonomy selects (a built-in name or a YAML file), with every dimension,
value, definition and source section. --list lists the built-in ones.`,
		Example: `  bugscope taxonomy
  bugscope taxonomy --name first-look-2025
  bugscope --taxonomy team.yaml taxonomy --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runTaxonomy(o) },
	}
	c.Flags().StringVar(&o.name, "name", "", "a built-in taxonomy ("+strings.Join(taxonomy.Builtins(), ", ")+")")
	c.Flags().BoolVar(&o.list, "list", false, "list the built-in taxonomies")
	o.json.register(c, "the taxonomy")
	return c
}

func (a *app) runTaxonomy(o taxonomyOptions) error {
	if o.list {
		for _, n := range taxonomy.Builtins() {
			t, err := taxonomy.Builtin(n)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%-18s version %-4s %s\n", n, t.Version, t.Title)
		}
		return nil
	}
	var tax *taxonomy.Taxonomy
	var err error
	if o.name != "" {
		if tax, err = taxonomy.Builtin(o.name); err != nil {
			return usageError("--name: %v", err)
		}
	} else if tax, err = a.loadTaxonomy(); err != nil {
		return err
	}
	if o.json.enabled() {
		return a.printJSON(o.json, tax)
	}
	a.writeTaxonomy(tax)
	return nil
}

// writeTaxonomy prints a taxonomy for people. A team's file is outside
// text: the whole is made safe for the terminal (safetext.Text).
func (a *app) writeTaxonomy(t *taxonomy.Taxonomy) {
	var w strings.Builder
	defer func() { io.WriteString(a.stdout, safetext.Text(w.String())) }()
	fmt.Fprintf(&w, "%s (version %s): %s\nsource: %s\n", t.Name, t.Version, t.Title, t.Source)
	if t.Description != "" {
		fmt.Fprintf(&w, "\n%s\n", wrap(t.Description, 78, ""))
	}
	for _, d := range t.Dimensions {
		card := "one value"
		if d.Multi {
			card = "any number of values"
		}
		fmt.Fprintf(&w, "\n== %s (%s): %s", d.ID, d.Name, card)
		if d.Ordinal {
			fmt.Fprint(&w, ", ordered")
		}
		if len(d.AppliesWhen) > 0 {
			var conds []string
			for k, v := range d.AppliesWhen {
				conds = append(conds, k+"="+strings.Join(v, "|"))
			}
			sort.Strings(conds)
			fmt.Fprintf(&w, ", only when %s", strings.Join(conds, " and "))
		}
		fmt.Fprintf(&w, "  [%s]\n", d.Source)
		if d.Description != "" {
			fmt.Fprintf(&w, "%s\n", wrap(d.Description, 78, "   "))
		}
		value := func(v *taxonomy.Value, indent string) {
			fmt.Fprintf(&w, "%s%-24s %s  [%s]\n%s\n", indent, v.ID, v.Name, v.Source, wrap(v.Description, 78, indent+"    "))
		}
		if len(d.Groups) > 0 {
			for _, g := range d.Groups {
				accepted := ""
				if d.AcceptGroups {
					accepted = " (accepted as a value)"
				}
				fmt.Fprintf(&w, "  %s: %s%s  [%s]\n", g.ID, g.Name, accepted, g.Source)
				for _, v := range g.Values {
					value(v, "    ")
				}
			}
		} else {
			for _, v := range d.Values {
				value(v, "  ")
			}
		}
	}
}

// wrap breaks text into lines of at most width columns, each indented.
func wrap(text string, width int, indent string) string {
	var lines []string
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	if len(line) > len(indent) {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
