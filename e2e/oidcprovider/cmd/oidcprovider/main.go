// Command oidcprovider runs the test OpenID provider on loopback, for
// trying sign-in by hand against a local palisade serve:
//
//	go run ./e2e/oidcprovider/cmd/oidcprovider -redirect http://127.0.0.1:8080/auth/callback
//
// It prints the PALISADE_OIDC_* settings to use. Anyone who reaches it can
// sign in as any of its users without a password; never expose it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/palisadesec/palisade/e2e/oidcprovider"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9998", "loopback host:port to listen on")
	redirect := flag.String("redirect", "http://127.0.0.1:8080/auth/callback", "comma-separated redirect URIs of the palisade client")
	ttl := flag.Duration("access-token-lifetime", 5*time.Minute, "how long access tokens last, so how often palisade refreshes")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := oidcprovider.New(oidcprovider.Options{
		Addr: *addr, RedirectURIs: strings.Split(*redirect, ","), AccessTokenLifetime: *ttl, Logger: log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "oidcprovider:", err)
		os.Exit(1)
	}
	fmt.Printf("PALISADE_OIDC_ISSUER_URL=%s\nPALISADE_OIDC_CLIENT_ID=%s\nPALISADE_OIDC_CLIENT_SECRET=%s\n",
		p.Issuer, p.ClientID, p.ClientSecret)
	fmt.Fprintln(os.Stderr, "users: alice (admin), olga (operator), victor (viewer), nora (no group); Ctrl-C stops")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if err := p.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "oidcprovider:", err)
		os.Exit(1)
	}
}
