// Package registrar subscribes stores to bcstream's Pub/Sub destination and
// keeps them subscribed.
//
// The desired state is: the topic, the dead-letter topic with a
// subscription that keeps dead letters, the worker's subscription (ack
// deadline, retry backoff, dead-letter policy), the IAM grants that let
// BigCommerce's delivery account publish to the topic and the Pub/Sub
// service agent dead-letter; and, for every store in the registry, one
// active Pub/Sub webhook per desired scope pointing at the topic.
//
// Plan reads the actual state and lists the difference, Apply makes it so
// (idempotently: a second Apply changes nothing), Run applies on an
// interval, healing webhooks BigCommerce deactivated after the topic
// disappeared or publish rights were revoked. Webhooks to our topic whose
// scope is no longer desired are deleted only with prune; webhooks with
// other destinations are never touched. Stores are processed concurrently
// with a bound; one store's failure (a revoked token) is reported and does
// not stop the others.
//
// EnsureTopology is the Pub/Sub half on its own, for tests and the demo.
package registrar
