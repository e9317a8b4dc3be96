package main

import (
	"strings"

	"bcstream/pipeline"
)

// Reasons that are not a dlq_reason value written by the worker.
const (
	// ReasonMaxDeliveryAttempts marks a message that Pub/Sub itself moved
	// to the dead-letter topic after the subscription's
	// max_delivery_attempts failed deliveries (a sink or BigCommerce
	// outage that outlasted the retries). Such messages carry Pub/Sub's
	// CloudPubSubDeadLetterSource* attributes instead of dlq_*.
	ReasonMaxDeliveryAttempts = "max_delivery_attempts"
	// ReasonUnknown marks a message with neither kind of attribute:
	// something published to the dead-letter topic by hand.
	ReasonUnknown = "unknown"
)

// Attribute prefixes of the dead-lettering metadata that a replay strips,
// so that the message goes back exactly as it was first published.
const (
	// workerAttrPrefix starts every attribute the worker adds when it
	// dead-letters a message (pipeline.AttrReason and its siblings).
	workerAttrPrefix = pipeline.AttrPrefix
	// pubsubAttrPrefix starts the attributes Pub/Sub's dead-letter policy
	// adds: CloudPubSubDeadLetterSourceSubscription, …DeliveryCount,
	// …SubscriptionProject, …TopicPublishTime.
	pubsubAttrPrefix = "CloudPubSubDeadLetterSource"
)

// reasonOf classifies a dead letter by its attributes.
func reasonOf(attrs map[string]string) string {
	if r := attrs[pipeline.AttrReason]; r != "" {
		return r
	}
	for k := range attrs {
		if strings.HasPrefix(k, pubsubAttrPrefix) {
			return ReasonMaxDeliveryAttempts
		}
	}
	return ReasonUnknown
}

// originalAttributes returns attrs without the dead-lettering metadata,
// or nil when nothing is left (Pub/Sub treats nil and empty alike).
func originalAttributes(attrs map[string]string) map[string]string {
	var out map[string]string
	for k, v := range attrs {
		if strings.HasPrefix(k, workerAttrPrefix) || strings.HasPrefix(k, pubsubAttrPrefix) {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(attrs))
		}
		out[k] = v
	}
	return out
}
