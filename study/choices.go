package study

import "github.com/bugscope/bugscope/taxonomy"

// Hotkeys label the choices of a dimension, in the terminal and in the
// browser alike: digits, then letters.
const Hotkeys = "123456789abcdefghijklmnopqrstuvwxyz"

// Choice is one line of a dimension's picker.
type Choice struct {
	ID, Name, Description string
	Header                bool   // a group heading
	Selectable            bool   // not a heading, or the dimension accepts groups as values
	Key                   string // its hotkey; "" past the last one
}

// Choices lists what a rater picks from for dimension d, in the
// taxonomy's order: each group's heading and its values, then the values
// outside groups; the selectable ones keyed in that order, so that a key
// means the same choice in the terminal and in the browser.
func Choices(d *taxonomy.Dimension) []Choice {
	var out []Choice
	k := 0
	add := func(c Choice) {
		c.Selectable = !c.Header || d.AcceptGroups
		if c.Selectable {
			if k < len(Hotkeys) {
				c.Key = string(Hotkeys[k])
			}
			k++
		}
		out = append(out, c)
	}
	for _, g := range d.Groups {
		add(Choice{ID: g.ID, Name: g.Name, Description: g.Description, Header: true})
		for _, v := range g.Values {
			add(Choice{ID: v.ID, Name: v.Name, Description: v.Description})
		}
	}
	for _, v := range d.Values {
		add(Choice{ID: v.ID, Name: v.Name, Description: v.Description})
	}
	return out
}
