package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The slots go to the ready rule with the longest chain; equal chains go
// in the order the rules became ready; the head is not overtaken by a
// smaller request; a rule whose context ends leaves the queue.
func TestReadyQueueOrder(t *testing.T) {
	for _, c := range []struct {
		name   string
		slots  int
		want   []string // order in which the waiters get their slots
		queued []struct {
			name  string
			slots int64
			chain time.Duration
		}
	}{
		{name: "longest chain first", slots: 1, want: []string{"c", "a", "b"}, queued: []struct {
			name  string
			slots int64
			chain time.Duration
		}{{"a", 1, 3}, {"b", 1, 1}, {"c", 1, 9}}},
		{name: "ties in arrival order", slots: 1, want: []string{"a", "b", "c"}, queued: []struct {
			name  string
			slots int64
			chain time.Duration
		}{{"a", 1, 5}, {"b", 1, 5}, {"c", 1, 5}}},
		{name: "the head waits for all it needs", slots: 2, want: []string{"big", "small"}, queued: []struct {
			name  string
			slots int64
			chain time.Duration
		}{{"big", 2, 9}, {"small", 1, 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := newReadyQueue(c.slots)
			if err := q.acquire(context.Background(), int64(c.slots), 0, false); err != nil { // all slots busy
				t.Fatal(err)
			}
			got := make(chan string, len(c.queued))
			for _, w := range c.queued {
				queued := make(chan struct{})
				go func() {
					go func() { waitQueued(q, w.chain); close(queued) }()
					if err := q.acquire(context.Background(), w.slots, w.chain, false); err != nil {
						t.Error(err)
					}
					got <- w.name
					q.release(w.slots)
				}()
				<-queued // the next waiter arrives after this one
			}
			q.release(int64(c.slots))
			var order []string
			for range c.queued {
				order = append(order, <-got)
			}
			if !slices.Equal(order, c.want) {
				t.Errorf("granted in order %v, want %v", order, c.want)
			}
		})
	}
}

// waitQueued returns once a waiter with chain is in q.
func waitQueued(q *readyQueue, chain time.Duration) {
	for {
		q.mu.Lock()
		for _, w := range q.waiting {
			if w.chain == chain && w.seq == q.seq-1 {
				q.mu.Unlock()
				return
			}
		}
		q.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

// A waiter whose context ends leaves the queue and the rule behind it gets
// the slot.
func TestReadyQueueCancel(t *testing.T) {
	q := newReadyQueue(1)
	if err := q.acquire(context.Background(), 1, 0, false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stopped := make(chan error)
	go func() { stopped <- q.acquire(ctx, 1, 10, false) }()
	waitQueued(q, 10)
	granted := make(chan error)
	go func() { granted <- q.acquire(context.Background(), 1, 1, false) }()
	waitQueued(q, 1)
	cancel(errors.New("interrupted"))
	if err := <-stopped; err == nil || err.Error() != "interrupted" {
		t.Fatalf("the cancelled waiter returned %v", err)
	}
	q.release(1)
	if err := <-granted; err != nil {
		t.Fatal(err)
	}
	if q.free != 0 || len(q.waiting) != 0 {
		t.Errorf("after the grant: %d free, %d waiting", q.free, len(q.waiting))
	}
}

// A rule's chain is its cost plus the longest chain of the rules that
// depend on it.
func TestChains(t *testing.T) {
	r := func(name string, deps ...*Rule) *Rule { return &Rule{Target: name, Deps: deps} }
	boot := r("boot")
	setA, setB := r("setup:a", boot), r("setup:b", boot)
	fnA, fnB := r("fn:a", setA), r("fn:b", setB)
	report := r("report", fnA, fnB)
	cost := map[string]time.Duration{"boot": 10, "setup:a": 5, "setup:b": 7, "fn:a": 4, "fn:b": 1, "report": 1}
	closure := Closure(report)
	got := chains(closure, dependentsIn(closure), func(r *Rule) time.Duration { return cost[r.Target] })
	for name, want := range map[string]time.Duration{"report": 1, "fn:a": 5, "fn:b": 2, "setup:a": 10, "setup:b": 9, "boot": 20} {
		for rule, d := range got {
			if rule.Target == name && d != want {
				t.Errorf("%s: chain %d, want %d", name, d, want)
			}
		}
	}
}

// With one slot, the four setups after a shared boot start longest chain
// first (a chain of rules without a recorded run counts defaultCost each),
// whatever order the graph lists them in.
func TestBuildStartsLongestChainFirst(t *testing.T) {
	f := newFixture(t)
	f.opts.Jobs = 1
	f.write("boot.in", "k")
	steps := map[string]int{"a": 0, "b": 1, "c": 2, "d": 3} // rules after fn:<x>
	shape := func(f *fixture) []*Rule {
		boot := f.rule("boot", nil, "boot.in")
		all := []*Rule{boot}
		var tails []*Rule
		for _, x := range []string{"a", "b", "c", "d"} {
			setup := f.rule("setup:"+x, []*Rule{boot})
			last := f.rule("fn:"+x, []*Rule{setup})
			all = append(all, setup, last)
			for i := range steps[x] {
				last = f.rule(fmt.Sprintf("post%d:%s", i, x), []*Rule{last})
				all = append(all, last)
			}
			tails = append(tails, last)
		}
		return append(all, f.rule("report", tails))
	}
	if _, err := f.run(shape, "report"); err != nil {
		t.Fatalf("%v\n%s", err, f.out.String())
	}
	var setups []string
	for _, r := range f.runs {
		if strings.HasPrefix(r, "setup:") {
			setups = append(setups, r)
		}
	}
	if want := []string{"setup:d", "setup:c", "setup:b", "setup:a"}; f.runs[0] != "boot" ||
		!slices.Equal(setups, want) {
		t.Errorf("recipes started in order %v; want boot first and the setups in order %v", f.runs, want)
	}
}
