// Package store owns Palisade's PostgreSQL database: the connection pool,
// the schema migrations, and every SQL statement the application runs.
// Methods take a context first and return ErrNotFound for missing rows.
package store
