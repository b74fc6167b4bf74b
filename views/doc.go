// Package views holds the templ components that render Palisade's pages:
// layout for the shell, components for small shared pieces, and one
// package per area. Components take view models and never do I/O.
package views
