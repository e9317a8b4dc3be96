package sinktest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"bcstream/sink"
)

// base is the time the generated records are received around.
var base = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// A fixed zone other than UTC, so that tests see sinks convert to UTC.
var tokyo = time.FixedZone("JST", 9*60*60)

var scopes = []struct {
	scope, entityType string
	channel           int64
}{
	{"store/order/created", "order", 0},
	{"store/order/updated", "order", 0},
	{"store/order/statusUpdated", "order", 0},
	{"store/product/updated", "product", 0},
	{"store/channel/1/order/updated", "order", 1},
	{"store/customer/created", "customer", 0},
	{"store/cart/lineItem/updated", "cart_line_item", 0},
	{"store/channel/*/inventory/product/stock_changed", "inventory", 0},
}

// orderEntity is a trimmed BigCommerce v2 order, the typical enriched
// entity (about 600 bytes).
const orderEntity = `{"id":%d,"customer_id":42,"date_created":"Mon, 23 Nov 2026 10:00:00 +0000","date_modified":"Mon, 23 Nov 2026 10:00:01 +0000","status_id":11,"status":"Awaiting Fulfillment","subtotal_ex_tax":"89.9000","subtotal_inc_tax":"98.8900","total_ex_tax":"99.9000","total_inc_tax":"109.8900","items_total":3,"items_shipped":0,"payment_method":"Credit Card","payment_status":"captured","refunded_amount":"0.0000","currency_code":"USD","channel_id":1,"billing_address":{"first_name":"Ada","last_name":"Lovelace","street_1":"12 Main St","city":"Austin","state":"Texas","zip":"78701","country":"United States","country_iso2":"US","email":"ada@example.com"},"customer_message":"Leave at the door, \"please\"","external_source":null}`

// Records returns n valid, realistic records with distinct EventIDs that
// are stable for a given seed: the same (seed, i) always gives the same
// record, and different seeds give disjoint IDs.
//
// The mix exercises every column: about half carry an enriched entity and
// enriched_at, the others are "skipped" with NULL entity; some have no
// entity ID, channel ID, created_at, published_at or delivery attempt.
// Timestamps have nanoseconds and some are in a zone other than UTC.
func Records(seed string, n int) []sink.Record {
	recs := make([]sink.Record, n)
	for i := range recs {
		recs[i] = record(seed, i)
	}
	return recs
}

func record(seed string, i int) sink.Record {
	sum := sha256.Sum256([]byte(seed + "\x00" + strconv.Itoa(i)))
	sc := scopes[i%len(scopes)]
	entityID := strconv.Itoa(100000 + i)
	if sc.entityType == "inventory" {
		entityID = "" // BOPIS stock events name no single entity
	}
	received := base.Add(time.Duration(i)*time.Millisecond + time.Duration(i%1000)*time.Nanosecond + 123)
	r := sink.Record{
		EventID:         hex.EncodeToString(sum[:16]),
		StoreHash:       "abc" + strconv.Itoa(i%20) + "xyz",
		StoreID:         strconv.Itoa(1025646 + i%20),
		Scope:           sc.scope,
		EntityType:      sc.entityType,
		EntityID:        entityID,
		ChannelID:       sc.channel,
		EventHash:       hex.EncodeToString(sum[12:32]),
		EventCreatedAt:  received.Add(-2 * time.Second).Truncate(time.Second),
		PublishedAt:     received.Add(-40 * time.Millisecond).Truncate(time.Millisecond),
		ReceivedAt:      received,
		MessageID:       strconv.Itoa(17000000000000000 + i),
		DeliveryAttempt: 1 + i%3,
		Payload:         json.RawMessage(`{"type":"` + sc.entityType + `","id":` + strconv.Itoa(100000+i) + `}`),
		Enrichment:      sink.EnrichmentSkipped,
		WorkerVersion:   "v1.4.2-3-gdeadbee",
	}
	if i%2 == 0 {
		r.Entity = json.RawMessage(fmt.Sprintf(orderEntity, 100000+i))
		r.Enrichment = sink.EnrichmentOK
		r.EnrichedAt = received.Add(35 * time.Millisecond).In(tokyo)
	}
	if i%7 == 3 {
		r.EventCreatedAt = time.Time{} // created_at is optional in some scopes
		r.PublishedAt = time.Time{}
		r.DeliveryAttempt = 0 // no dead-letter policy: Pub/Sub does not count
	}
	if i%5 == 1 {
		r.ReceivedAt = r.ReceivedAt.In(tokyo)
	}
	return r
}

// trickyStrings are values that string encoders get wrong: quotes,
// backslashes, every kind of control character, the JavaScript line
// separators, multi-byte UTF-8 and SQL metacharacters.
var trickyStrings = []string{
	`quote " and backslash \ and slash /`,
	"newline \n tab \t cr \r nul \x00 bell \x07 esc \x1b del \x7f",
	"line sep \u2028 para sep \u2029",
	"é ü ß 中文 日本語 😀 \U0010FFFF",
	"'; DROP TABLE events; --",
	"<script>&amp;</script>",
	" leading and trailing spaces ",
	`\u0041 is not an escape here`,
}

// tricky returns a valid record whose every string field holds one of
// trickyStrings and whose JSON columns hold escaped strings.
func tricky(seed string, i int) sink.Record {
	r := record(seed, i)
	s := func(k int) string { return trickyStrings[(i+k)%len(trickyStrings)] }
	r.StoreHash = s(0)
	r.StoreID = s(1)
	r.Scope = s(2)
	r.EntityType = s(3)
	r.EntityID = s(4)
	r.EventHash = s(5)
	r.MessageID = s(6)
	r.WorkerVersion = s(7)
	r.Payload = json.RawMessage(`{"note":"line\nbreak \"q\" \\ \u2028 \u00e9 é 😀 \u0000","list":[1,2.5,-3e10,true,false,null],"nested":{"a":{}}}`)
	r.Entity = json.RawMessage(`["a",{"b":"\ud83d\ude00"}]`)
	r.Enrichment = sink.EnrichmentOK
	r.EnrichedAt = r.ReceivedAt.Add(time.Millisecond)
	return r
}
