// Package config reads every Palisade setting from PALISADE_* environment
// variables. All settings live in one table with their defaults, parsers and
// help text; bad values stop start-up with a message naming the variable.
// Secrets can also be read from a file named by the variable's _FILE twin.
package config
