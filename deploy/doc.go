// Package deploy holds bcstream's deployment assets (Cloud Run and GKE
// manifests, the OpenTelemetry Collector config, the Cloud Monitoring
// dashboard and alert policies, and the runbook in README.md) and, in its
// tests, the checks that keep them true to the code: every manifest
// parses strictly into its Kubernetes or Cloud Run type, every variable a
// manifest sets is one the binaries read (and every required one is set),
// every metric the dashboard and alerts use is one the code exports, and
// the Dockerfile's build stage produces static, version-stamped binaries.
package deploy
