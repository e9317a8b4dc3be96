// Package registrar subscribes stores to bcstream's Pub/Sub destination:
// it makes sure the topic, the dead-letter topic and the worker's
// subscription exist, and (in later work) reconciles each store's
// webhooks through the BigCommerce API.
package registrar
