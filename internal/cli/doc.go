// Package cli defines the palisade command and its subcommands. Each
// subcommand reads its settings from internal/config, sets up what it needs
// and runs until its work is done or the process is told to stop.
package cli
