// Package migrations embeds the SQL migrations, so that the binary and the
// tests apply exactly the same set through golang-migrate.
//
// River's own tables are part of this sequence: 000001_create_river_tables
// is generated from the River version in go.mod by `go run ./migrations/rivergen`
// and a test fails when the two drift apart.
package migrations

import "embed"

// FS holds every *.sql migration, named NNNNNN_verb_object.{up,down}.sql.
//
//go:embed *.sql
var FS embed.FS
