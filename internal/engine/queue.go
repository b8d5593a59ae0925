package engine

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// The build's scheduler, apart from the rules and the plan: a rule whose
// dependencies are done and which is stale joins a ready queue, and the
// JOBS slots go to the ready rule with the longest chain of work still
// behind it (ninja's critical-path order), so that the head of the longest
// chain (a gem5 setup, not a report) starts first.

// defaultCost is a rule's cost in the chain when the build log has no
// finished run of it.
const defaultCost = time.Second

// readyQueue hands out slots to ready rules, longest chain first; equal
// chains in the order they became ready. The head waits until enough slots
// are free (no rule overtakes it), as semaphore.Weighted does. While a
// build holds the queue (rules whose dependencies just finished are still
// being checked), no slot is handed out: they join before it chooses.
type readyQueue struct {
	mu      sync.Mutex
	free    int64
	holds   int
	waiting waiters
	seq     uint64
}

// waiter is a ready rule waiting for slots.
type waiter struct {
	slots int64
	chain time.Duration
	seq   uint64
	ready chan struct{} // closed once the slots are its
	index int           // in the heap; -1 once granted
}

func newReadyQueue(slots int) *readyQueue { return &readyQueue{free: int64(slots)} }

// hold keeps the queue from handing out slots until unhold: a rule about
// to be checked may join it.
func (q *readyQueue) hold() {
	q.mu.Lock()
	q.holds++
	q.mu.Unlock()
}

// unhold lets go of one hold.
func (q *readyQueue) unhold() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.holds--
	q.dispatch()
}

// acquire waits for n slots for a rule whose chain is chain long; held
// says the caller holds the queue, which it lets go of once it waits.
func (q *readyQueue) acquire(ctx context.Context, n int64, chain time.Duration, held bool) error {
	q.mu.Lock()
	if held {
		q.holds--
	}
	if q.holds == 0 && len(q.waiting) == 0 && q.free >= n {
		q.free -= n
		q.mu.Unlock()
		return nil
	}
	w := &waiter{slots: n, chain: chain, seq: q.seq, ready: make(chan struct{})}
	q.seq++
	heap.Push(&q.waiting, w)
	q.dispatch()
	q.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.index < 0 { // granted while ctx ended: give the slots back
		q.free += n
	} else {
		heap.Remove(&q.waiting, w.index)
	}
	q.dispatch()
	return context.Cause(ctx)
}

// release gives n slots back.
func (q *readyQueue) release(n int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.free += n
	q.dispatch()
}

// dispatch grants slots to the head of the queue while they suffice and
// nobody holds the queue.
func (q *readyQueue) dispatch() {
	for q.holds == 0 && len(q.waiting) > 0 && q.waiting[0].slots <= q.free {
		w := heap.Pop(&q.waiting).(*waiter)
		q.free -= w.slots
		close(w.ready)
	}
}

// waiters is a heap: the longest chain first, then the earliest.
type waiters []*waiter

func (h waiters) Len() int { return len(h) }
func (h waiters) Less(i, j int) bool {
	if h[i].chain != h[j].chain {
		return h[i].chain > h[j].chain
	}
	return h[i].seq < h[j].seq
}
func (h waiters) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *waiters) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waiters) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	w.index = -1
	*h = old[:len(old)-1]
	return w
}

// chains is, for every rule of closure (dependencies first), its cost plus
// the longest chain of its dependents (dependentsIn(closure)).
func chains(closure []*Rule, dependents map[*Rule][]*Rule, cost func(*Rule) time.Duration) map[*Rule]time.Duration {
	out := make(map[*Rule]time.Duration, len(closure))
	for i := len(closure) - 1; i >= 0; i-- {
		r := closure[i]
		var longest time.Duration
		for _, c := range dependents[r] {
			longest = max(longest, out[c])
		}
		out[r] = cost(r) + longest
	}
	return out
}

// cost is how long r's last finished run took (the build log's record),
// else defaultCost.
func (g *Graph) cost(r *Rule) time.Duration {
	if rec, ok := g.logs.last(r, g.workDir()); ok && rec.Finished && rec.End.After(rec.Start) {
		return rec.End.Sub(rec.Start)
	}
	return defaultCost
}
