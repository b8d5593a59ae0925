package engine

import (
	"fmt"
	"io"
	"strings"
)

// WriteDOT writes rules and their dependencies as a Graphviz digraph;
// an arrow points from a dependency to the rule that needs it. Rules that
// stale names are filled.
func WriteDOT(w io.Writer, rules []*Rule, stale map[string]bool) error {
	var b strings.Builder
	b.WriteString("digraph vswarmu {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	for _, r := range rules {
		attrs := fmt.Sprintf("tooltip=%q", r.Doc)
		if stale[r.Target] {
			attrs += `, style="rounded,filled", fillcolor="#ffe08a"`
		}
		fmt.Fprintf(&b, "  %q [%s];\n", r.Target, attrs)
	}
	for _, r := range rules {
		for _, d := range r.Deps {
			fmt.Fprintf(&b, "  %q -> %q;\n", d.Target, r.Target)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMermaid writes the same graph as a Mermaid flowchart, which GitHub
// renders in Markdown.
func WriteMermaid(w io.Writer, rules []*Rule, stale map[string]bool) error {
	ids := map[*Rule]string{}
	for i, r := range rules {
		ids[r] = fmt.Sprintf("r%d", i)
	}
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", ids[r], strings.ReplaceAll(r.Target, `"`, "#quot;"))
	}
	for _, r := range rules {
		for _, d := range r.Deps {
			if id, ok := ids[d]; ok {
				fmt.Fprintf(&b, "  %s --> %s\n", id, ids[r])
			}
		}
	}
	var staleIDs []string
	for _, r := range rules {
		if stale[r.Target] {
			staleIDs = append(staleIDs, ids[r])
		}
	}
	if len(staleIDs) > 0 {
		b.WriteString("  classDef stale fill:#ffe08a,stroke:#b8860b\n")
		fmt.Fprintf(&b, "  class %s stale\n", strings.Join(staleIDs, ","))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
