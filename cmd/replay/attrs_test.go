package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bcstream/pipeline"
)

// TestWorkerAttributesAreStripped guards the prefix rule: every attribute
// the worker adds when it dead-letters a message must start with dlq_, or
// a replay would carry it back to the main topic.
func TestWorkerAttributesAreStripped(t *testing.T) {
	t.Parallel()
	for _, a := range []string{
		pipeline.AttrReason, pipeline.AttrError, pipeline.AttrOriginalMessageID, pipeline.AttrSubscription,
		pipeline.AttrDeliveryAttempt, pipeline.AttrPublishTime, pipeline.AttrDeadLetteredAt,
	} {
		if !strings.HasPrefix(a, workerAttrPrefix) {
			t.Errorf("pipeline attribute %q does not start with %q", a, workerAttrPrefix)
		}
	}
}

func TestReasonAndOriginalAttributes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		attrs      map[string]string
		wantReason string
		wantAttrs  map[string]string
	}{
		{
			name:       "worker dead letter",
			attrs:      map[string]string{"dlq_reason": "invalid_json", "dlq_error": "x", "origin": "bc"},
			wantReason: "invalid_json",
			wantAttrs:  map[string]string{"origin": "bc"},
		},
		{
			name: "pubsub dead-letter policy",
			attrs: map[string]string{
				"CloudPubSubDeadLetterSourceSubscription": "s", "CloudPubSubDeadLetterSourceDeliveryCount": "10",
				"googclient_traceparent": "00-abc",
			},
			wantReason: ReasonMaxDeliveryAttempts,
			wantAttrs:  map[string]string{"googclient_traceparent": "00-abc"},
		},
		{
			name:       "worker reason wins over the policy's marks",
			attrs:      map[string]string{"dlq_reason": "bad_hash", "CloudPubSubDeadLetterSourceSubscription": "s"},
			wantReason: "bad_hash",
		},
		{name: "no marks", attrs: map[string]string{"a": "b"}, wantReason: ReasonUnknown, wantAttrs: map[string]string{"a": "b"}},
		{name: "no attributes", wantReason: ReasonUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := reasonOf(tc.attrs); got != tc.wantReason {
				t.Errorf("reasonOf() = %q, want %q", got, tc.wantReason)
			}
			if diff := cmp.Diff(tc.wantAttrs, originalAttributes(tc.attrs)); diff != "" {
				t.Errorf("originalAttributes() (-want +got):\n%s", diff)
			}
		})
	}
}
