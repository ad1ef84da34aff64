// Package charts holds the blueprint's Helm charts (charts/demo-app). It has no code: its tests render
// every values file of every scenario with the Helm SDK, decode the objects into Kubernetes API types,
// assert on them, and run the Helm linter.
package charts
