package pipeline

import "hash/maphash"

// keyTable is the deduper's set of keys with a state each: an
// open-addressing hash table (linear probing, at most half full) in one
// flat slice.
//
// Why not a Go map: the table is large (up to DEDUPE_MAX_ENTRIES keys) and
// every message looks up a random key in it, so each lookup misses the
// CPU caches. A Go map's lookup follows dependent pointers (map header,
// directory, table, group), and under load each of those missed too:
// ~0.6 µs per message in the worker's profile. Here a key's slot is one
// address computed from the key, so a lookup costs at most one miss, and
// the misses of many keys can be taken at once (see touch).
//
// A keyTable is not safe for concurrent use; the deduper's mutex guards it.
type keyTable struct {
	slots []keySlot // len is a power of two
	mask  uint64    // len(slots) - 1
	used  int       // slots in use
	seed  maphash.Seed
}

// keySlot is one key and its state. State 0 marks an empty slot; the
// deduper gives meaning to the other values.
type keySlot struct {
	key   eventKey
	state int64
}

// minTableSlots is the smallest table.
const minTableSlots = 1024

// newKeyTable returns a table sized for keys keys at most half full, with
// its memory already backed by the kernel.
//
// Sized up front, it does not grow while it fills: growing re-inserts
// every key into new memory, one cache miss each, and while the worker's
// first 100,000 events filled a table grown from small, the growing cost
// ~0.35 µs per event.
//
// Backed up front, its pages are not faulted in one at a time under load.
// Keys land at random, so the first keys touch a fresh page each. On the
// project's VM (whose balloon returns free pages to the host) a page
// first touched that way cost ~20 µs of system time, ~0.6 µs per event
// over 100,000 events; writing every page in order at startup costs ~1.4
// µs a page (~4 ms for the default table).
func newKeyTable(keys int) keyTable {
	n := minTableSlots
	for n < 2*keys {
		n *= 2
	}
	slots := make([]keySlot, n)
	// Every 128th slot is at most 4 KiB after the last (a slot is 24
	// bytes): one write per page.
	for i := 0; i < n; i += 128 {
		slots[i].state = 0
	}
	return keyTable{
		slots: slots,
		mask:  uint64(n - 1),
		seed:  maphash.MakeSeed(),
	}
}

// home is the slot where k's probe sequence starts. Keys are SHA-256
// prefixes of untrusted payloads; the per-process seed keeps anyone from
// choosing payloads whose keys pile up in one run of slots.
func (t *keyTable) home(k eventKey) uint64 {
	return maphash.Comparable(t.seed, k) & t.mask
}

// find returns k's slot index and whether k is there; when it is not, the
// index is the empty slot where set would put it.
func (t *keyTable) find(k eventKey) (uint64, bool) {
	i := t.home(k)
	for {
		s := &t.slots[i]
		if s.state == 0 {
			return i, false
		}
		if s.key == k {
			return i, true
		}
		i = (i + 1) & t.mask
	}
}

// get returns k's state, or 0 if k is absent.
func (t *keyTable) get(k eventKey) int64 {
	if i, ok := t.find(k); ok {
		return t.slots[i].state
	}
	return 0
}

// set stores k with state (non-zero), inserting k if absent.
func (t *keyTable) set(k eventKey, state int64) {
	i, ok := t.find(k)
	if !ok {
		if (t.used+1)*2 > len(t.slots) {
			t.grow()
			i, _ = t.find(k)
		}
		t.slots[i].key = k
		t.used++
	}
	t.slots[i].state = state
}

// remove deletes k if present. It shifts the entries after k back
// instead of leaving a tombstone (Knuth's Algorithm R), so lookups never
// probe past deleted keys and the table needs no periodic rebuild.
func (t *keyTable) remove(k eventKey) {
	i, ok := t.find(k)
	if !ok {
		return
	}
	j := i
	for {
		j = (j + 1) & t.mask
		if t.slots[j].state == 0 {
			break
		}
		// The entry at j may move to the hole at i unless its home lies
		// cyclically in (i, j]: then i is before its probe sequence starts.
		h := t.home(t.slots[j].key)
		if (j-h)&t.mask >= (j-i)&t.mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = keySlot{}
	t.used--
}

// grow doubles the table and re-inserts every key. It is for keys past
// the expected count (claims beyond the written keys' bound).
func (t *keyTable) grow() {
	old := t.slots
	t.slots = make([]keySlot, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.state != 0 {
			i, _ := t.find(s.key)
			t.slots[i] = s
		}
	}
}

// touch reads the home slot of each key and returns a value that depends
// on all of them (so the reads cannot be optimised away). It computes the
// slots first and then reads them in a tight loop: the reads do not
// depend on each other, so the CPU overlaps their cache misses. Done for
// a batch of keys before claiming or settling them one by one, it turns
// one miss per key, each waited out in turn, into a few misses' time for
// the batch.
func (t *keyTable) touch(keys []eventKey) int64 {
	var at [64]uint64
	var sum int64
	for len(keys) > 0 {
		n := min(len(keys), len(at))
		for i := range n {
			at[i] = t.home(keys[i])
		}
		for _, i := range at[:n] {
			sum += t.slots[i].state
		}
		keys = keys[n:]
	}
	return sum
}
