package engine

import "context"

// schedule builds closure (dependencies first), as ninja's build loop does:
// a rule starts once its dependencies are done, and the ready queue hands
// the slots to the stale rule with the longest chain behind it. A rule's
// slots are given back only after the rules it made ready hold the queue,
// so that they compete for them with everything else that waits.
func (g *Graph) schedule(ctx context.Context, closure []*Rule) {
	dependents := dependentsIn(closure)
	chain := chains(closure, dependents, g.cost)
	pending := make(map[*Rule]int, len(closure))
	for _, r := range closure {
		pending[r] = len(uniqueDeps(r))
	}
	type finished struct {
		rule  *Rule
		slots int64
	}
	done := make(chan finished)
	start := func(r *Rule) {
		g.queue.hold()
		go func() {
			_, slots := g.build(ctx, r, chain[r])
			done <- finished{r, slots}
		}()
	}
	for _, r := range closure {
		if pending[r] == 0 {
			start(r)
		}
	}
	for range closure {
		f := <-done
		for _, c := range dependents[f.rule] {
			if pending[c]--; pending[c] == 0 {
				start(c)
			}
		}
		if f.slots > 0 {
			g.queue.release(f.slots)
		}
	}
}

// dependentsIn maps every rule of closure to the rules of closure that
// depend on it directly, each once.
func dependentsIn(closure []*Rule) map[*Rule][]*Rule {
	dependents := map[*Rule][]*Rule{}
	for _, r := range closure {
		for _, d := range uniqueDeps(r) {
			dependents[d] = append(dependents[d], r)
		}
	}
	return dependents
}

// uniqueDeps are r's dependencies, each once.
func uniqueDeps(r *Rule) []*Rule {
	seen := make(map[*Rule]bool, len(r.Deps))
	out := make([]*Rule, 0, len(r.Deps))
	for _, d := range r.Deps {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
