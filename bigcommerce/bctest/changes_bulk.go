package bctest

import (
	"math/rand/v2"
	"slices"
	"time"
)

// ImportProducts creates m products in store hash, as a CSV or API bulk
// import does, and returns one store/product/created envelope per
// product: BigCommerce fires one event per imported record.
func (sim *Simulator) ImportProducts(hash string, m int) ([]Envelope, error) {
	st, err := sim.mustStore(hash)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	b := &builder{d: st.d, rng: st.rng}
	out := make([]Envelope, 0, m)
	for range m {
		now := sim.now().UTC().Truncate(time.Second)
		p := b.newProduct(now)
		out = append(out, st.envelope(typeID("store/product/created", "product", p.ID), now))
	}
	return out, nil
}

// BulkUpdateProducts updates m products of store hash n times over (a
// bulk price update or catalog sync re-run n times): n×m
// store/product/updated envelopes, round by round. The products are the
// m most recent; if the store has fewer, the missing ones are imported
// first and their store/product/created envelopes come first.
//
// Within one second of the clock, repeated updates of a product produce
// identical envelopes (same hash), as BigCommerce's would, unless
// Options.UniqueHashes is set.
func (sim *Simulator) BulkUpdateProducts(hash string, m, n int) ([]Envelope, error) {
	st, err := sim.mustStore(hash)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	b := &builder{d: st.d, rng: st.rng}
	var out []Envelope
	for len(st.d.products) < m {
		now := sim.now().UTC().Truncate(time.Second)
		p := b.newProduct(now)
		out = append(out, st.envelope(typeID("store/product/created", "product", p.ID), now))
	}
	ids := sortedKeys(st.d.products)
	ids = ids[len(ids)-m:]
	for range n {
		for _, id := range ids {
			now := sim.now().UTC().Truncate(time.Second)
			out = append(out, st.envelope(b.updateProduct(st.d.products[id], now), now))
		}
	}
	return out, nil
}

// WithDuplicates returns evs with about fraction of them delivered twice:
// each duplicate is an identical copy (same body, same hash) placed up to
// 20 positions after the original, as redeliveries by BigCommerce or
// Pub/Sub arrive. evs is not modified; seed makes the result repeatable.
func WithDuplicates(evs []Envelope, fraction float64, seed uint64) []Envelope {
	rng := rand.New(rand.NewPCG(seed, 0xd00b))
	out := slices.Clone(evs)
	for i := len(evs) - 1; i >= 0; i-- {
		if rng.Float64() < fraction {
			pos := min(i+1+rng.IntN(20), len(out))
			out = slices.Insert(out, pos, evs[i])
		}
	}
	return out
}

// Reorder returns evs shuffled within consecutive blocks of span events,
// so that events about one entity (order/updated, then statusUpdated) can
// arrive out of order, as Pub/Sub without ordering keys delivers them.
// evs is not modified; seed makes the result repeatable.
func Reorder(evs []Envelope, span int, seed uint64) []Envelope {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := slices.Clone(evs)
	if span < 2 {
		return out
	}
	for from := 0; from < len(out); from += span {
		block := out[from:min(from+span, len(out))]
		rng.Shuffle(len(block), func(i, j int) { block[i], block[j] = block[j], block[i] })
	}
	return out
}
