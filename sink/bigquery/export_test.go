package bigquery

// Reconcile exposes reconcile to the external tests.
var Reconcile = reconcile
