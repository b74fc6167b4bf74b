// Package oidcprovider is a real OpenID provider for tests, built from
// zitadel's op package: it serves discovery, authorization with PKCE,
// tokens (ID, access and refresh), userinfo and RP-initiated logout on a
// loopback port, with one client and a few users kept in memory.
//
// Its login page signs in whoever types a known username, without a
// password. It exists for tests only; never expose it.
package oidcprovider
