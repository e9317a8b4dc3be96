package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"bcstream/bigcommerce"
)

// eventKey identifies one BigCommerce event across re-sends and Pub/Sub
// redeliveries: (store hash, scope, hash, created_at). The hash alone is not
// enough: BigCommerce computes it over event metadata, so two genuine
// updates of one entity can share it; created_at separates them.
type eventKey [16]byte

// keyOf derives the key of ev. It is the first 16 bytes of a SHA-256 over
// the four fields, NUL-separated so that no two field tuples collide.
func keyOf(ev *bigcommerce.Event) eventKey {
	var buf [256]byte
	b := buf[:0]
	b = append(b, ev.StoreHash...)
	b = append(b, 0)
	b = append(b, ev.Scope...)
	b = append(b, 0)
	b = append(b, ev.Hash...)
	b = append(b, 0)
	if !ev.CreatedAt.IsZero() {
		b = strconv.AppendInt(b, ev.CreatedAt.Unix(), 10)
	}
	sum := sha256.Sum256(b)
	var k eventKey
	copy(k[:], sum[:16])
	return k
}

// EventID renders the key as the `event_id` column: 32 lowercase hex
// characters, the same for every delivery of the event.
func (k eventKey) EventID() string { return hex.EncodeToString(k[:]) }

// EventID returns the deterministic event ID of ev, as stored in the
// `event_id` column.
func EventID(ev *bigcommerce.Event) string { k := keyOf(ev); return k.EventID() }
