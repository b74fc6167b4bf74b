// Package registry talks to container registries for the rest of Palisade.
// It wraps go-containerregistry the way trivy's pkg/remote does: one place
// builds the HTTP transport (CA bundle, timeouts, size limits, user agent),
// picks the credentials, and turns registry failures into errors that say
// what went wrong and whether a retry can help (IsTransient). It also
// resolves references, lists catalogs and tags, expands image indexes into
// their Linux images, matches repository names against include and exclude
// patterns, and parses the push notifications that registries send
// (CNCF distribution and Harbor).
package registry
