// Package markdown renders the Markdown of issue bodies, written by
// strangers, as HTML that is safe to put in a page: GitHub-flavoured
// Markdown by goldmark with raw HTML shown as text and images as links,
// then sanitised by bluemonday's policy for user content.
package markdown

import (
	"bytes"
	"html"
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// MaxBytes bounds the part of a body rendered as Markdown; the rest
// is cut, and the page says so.
const MaxBytes = 256 << 10

// markdown renders GitHub-flavoured Markdown without raw HTML (goldmark
// escapes it), with images as links (an image from elsewhere would tell
// its host who reads the page, and the CSP forbids them anyway).
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithRendererOptions(
		renderer.WithNodeRenderers(util.Prioritized(imageAsLink{}, 100)),
	),
)

// sanitizer is bluemonday's policy for user content, links marked
// nofollow, noreferrer, opening elsewhere.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens).OnElements("a", "code", "span")
	return p
}()

// imageAsLink renders ![alt](src) as a link to src whose text is the alt
// text, and raw HTML as the text it is.
type imageAsLink struct{}

func (imageAsLink) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			segs := n.(*ast.RawHTML).Segments
			for i := 0; i < segs.Len(); i++ {
				s := segs.At(i)
				w.WriteString(html.EscapeString(string(s.Value(source))))
			}
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		w.WriteString("<p>")
		lines := b.Lines()
		for i := 0; i < lines.Len(); i++ {
			s := lines.At(i)
			w.WriteString(html.EscapeString(string(s.Value(source))))
		}
		if b.HasClosure() {
			w.WriteString(html.EscapeString(string(b.ClosureLine.Value(source))))
		}
		w.WriteString("</p>\n")
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindImage, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkSkipChildren, nil
		}
		img := n.(*ast.Image)
		alt := nodeText(img, source)
		if alt == "" {
			alt = "image"
		}
		w.WriteString(`<a class="image-link" href="`)
		if dest := img.Destination; ghtml.IsDangerousURL(dest) {
			w.WriteString("#")
		} else {
			w.Write(util.EscapeHTML(util.URLEscape(dest, true)))
		}
		w.WriteString(`">[image: `)
		w.WriteString(html.EscapeString(alt))
		w.WriteString(`]</a>`)
		return ast.WalkSkipChildren, nil
	})
}

// nodeText is the plain text under n.
func nodeText(n ast.Node, source []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			if t, ok := c.(*ast.Text); ok {
				b.Write(t.Segment.Value(source))
			}
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// Render renders a body as sanitised HTML and says whether it was cut.
func Render(body string) (template.HTML, bool) { return RenderMax(body, MaxBytes) }

// RenderMax is Render of the first max bytes (a comment's bound).
func RenderMax(body string, max int) (template.HTML, bool) {
	cut := false
	if len(body) > max {
		body = strings.ToValidUTF8(body[:max], "")
		cut = true
	}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(body), &buf); err != nil {
		return template.HTML("<pre>" + html.EscapeString(body) + "</pre>"), cut
	}
	return template.HTML(sanitizer.SanitizeBytes(buf.Bytes())), cut //nolint:gosec // sanitised just now
}
