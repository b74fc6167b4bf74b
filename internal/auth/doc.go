// Package auth owns who may use the console: OpenID Connect sign-in
// (authorization code flow with PKCE, state and nonce, ID token checks,
// refresh tokens), server-side sessions stored by the hash of their token,
// the mapping from a claim's groups to the roles viewer, operator and
// admin, CSRF tokens bound to the session, and local mode, where no
// provider is configured and everyone on loopback is an admin.
package auth
