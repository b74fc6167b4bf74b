// Command palisade-agent runs on a Docker host. It enrols once with a
// one-time token, then sends a snapshot of the engine and the host to the
// Palisade server at start, on an interval, and soon after Docker events
// that change containers or the daemon. See docs/agent-protocol.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "palisade-agent:", err)
		os.Exit(1)
	}
}
