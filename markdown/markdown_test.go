package markdown

import (
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// unsafe returns what sanitised HTML must never hold, or "": script
// elements, images, frames, forms, styles; event handler attributes,
// inline styles; addresses other than http, https, mailto or relative.
func unsafe(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "img", "iframe", "object", "embed", "svg", "math", "form", "style", "base", "meta", "link", "input", "button":
				return "element " + tok.Data
			}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				if strings.HasPrefix(k, "on") || k == "style" || k == "srcset" {
					return "attribute " + k
				}
				if k == "href" || k == "src" {
					v := strings.ToLower(strings.TrimSpace(a.Val))
					if i := strings.IndexAny(v, ":/?#"); i >= 0 && v[i] == ':' && !safeScheme.MatchString(v) {
						return "address " + a.Val
					}
				}
			}
		}
	}
}

var safeScheme = regexp.MustCompile(`^(https?|mailto):`)

func TestRenderBodySanitises(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string // substrings the output must have
	}{
		{"script", "<script>alert(1)</script>", []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}},
		{"img onerror", `<img src=x onerror="alert(1)">`, []string{"&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"}},
		{"javascript link", "[click](javascript:alert(1))", []string{"click"}},
		{"reference javascript link", "[click][r]\n\n[r]: javascript:alert(1)", []string{"click"}},
		{"html javascript link", `<a href="javascript:alert(1)">x</a>`, []string{"&lt;a href="}},
		{"outside image", "![tracker](https://tracker.example/p.png)", []string{`<a class="image-link" href="https://tracker.example/p.png"`, "[image: tracker]"}},
		{"javascript image", "![x](javascript:alert(1))", []string{"[image: x]"}},
		{"data image", "![x](data:image/svg+xml;base64,PHN2Zz4=)", []string{"[image: x]"}},
		{"image alt markup", "![<script>x</script>](https://a.example/i.png)", []string{"[image: "}},
		{"code block breakout", "```\n</code></pre><script>alert(1)</script>\n```", []string{"&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;"}},
		{"autolink", "see https://example.com/x?a=1", []string{`href="https://example.com/x?a=1"`, `rel="nofollow noreferrer noopener"`}},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, cut := Render(c.in)
			if cut {
				t.Error("cut")
			}
			if m := unsafe(string(out)); m != "" {
				t.Errorf("unsafe %q in %s", m, out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("no %q in %s", w, out)
				}
			}
		})
	}
	out, cut := Render(strings.Repeat("a ", MaxBytes))
	if !cut || len(out) > MaxBytes+1024 {
		t.Errorf("a long body: cut %v, %d bytes", cut, len(out))
	}
}

func FuzzRenderBody(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script>", "![x](javascript:alert(1))", "[a](java\tscript:x)", "<img src=x onerror=y>",
		"```\n</code><svg onload=x>\n```", "[r]: data:text/html,x\n[a][r]", "<a href='javascript:x'>a</a>", "*<b onclick=x>*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, _ := Render(s)
		if m := unsafe(string(out)); m != "" {
			t.Fatalf("unsafe %q in the HTML of %q: %s", m, s, out)
		}
	})
}
