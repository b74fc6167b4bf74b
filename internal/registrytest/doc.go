// Package registrytest runs an in-memory container registry for unit
// tests (go-containerregistry's pkg/registry on httptest), with optional
// basic or token authentication, TLS, paginated catalogs and tag lists,
// and injected faults: error statuses, hangs, oversized manifests,
// truncated or corrupted blobs. It also builds small images and indexes to
// push into it. Nothing here touches the network beyond loopback.
package registrytest
