package pipeline

import (
	"math/rand/v2"
	"testing"
)

// The table must agree with a Go map under any mix of operations, in
// particular removals in the middle of probe runs, which shift later
// entries back. A key pool four times the table's initial size keeps
// runs long and makes the table grow and shrink in use.
func TestKeyTableMatchesMap(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	pool := make([]eventKey, 4*minTableSlots)
	for i := range pool {
		pool[i] = keyN(i)
	}
	tab := newKeyTable(0)
	model := map[eventKey]int64{}
	for op := range 300_000 {
		k := pool[rng.IntN(len(pool))]
		switch rng.IntN(3) {
		case 0:
			st := rng.Int64N(1000) + 1
			tab.set(k, st)
			model[k] = st
		case 1:
			tab.remove(k)
			delete(model, k)
		default:
			if got, want := tab.get(k), model[k]; got != want {
				t.Fatalf("op %d: get = %d, want %d", op, got, want)
			}
		}
		if tab.used != len(model) {
			t.Fatalf("op %d: used = %d, want %d", op, tab.used, len(model))
		}
	}
	for k, want := range model {
		if got := tab.get(k); got != want {
			t.Fatalf("final: get = %d, want %d", got, want)
		}
	}
	n := 0
	for _, s := range tab.slots {
		if s.state != 0 {
			n++
		}
	}
	if n != len(model) {
		t.Fatalf("%d occupied slots, want %d", n, len(model))
	}
	if len(tab.slots) < 2*len(model) {
		t.Fatalf("%d slots for %d keys: more than half full", len(tab.slots), len(model))
	}
}
