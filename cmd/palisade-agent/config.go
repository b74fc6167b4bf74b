package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// config is the agent's settings. Each flag has a PALISADE_AGENT_ twin in
// the environment; a flag given on the command line wins.
type config struct {
	server         string
	token          string
	tokenFile      string
	credentialFile string
	socket         string
	interval       time.Duration
	debounce       time.Duration
	hostRoot       string
	caBundle       string
	once           bool
	print          bool
	hostname       string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("palisade-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv("PALISADE_AGENT_" + name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.server, "server", env("SERVER", ""), "Palisade server URL (https://..., or http:// on loopback only) [PALISADE_AGENT_SERVER]")
	fs.StringVar(&c.token, "token", env("TOKEN", ""), "one-time enrolment token [PALISADE_AGENT_TOKEN]")
	fs.StringVar(&c.tokenFile, "token-file", env("TOKEN_FILE", ""), "file holding the enrolment token [PALISADE_AGENT_TOKEN_FILE]")
	fs.StringVar(&c.credentialFile, "credential-file", env("CREDENTIAL_FILE", "/var/lib/palisade-agent/credential.json"), "where the agent keeps its own credential (mode 0600) [PALISADE_AGENT_CREDENTIAL_FILE]")
	fs.StringVar(&c.socket, "docker-socket", env("DOCKER_SOCKET", defaultSocket(getenv)), "Docker Engine socket [PALISADE_AGENT_DOCKER_SOCKET]")
	interval := env("INTERVAL", "1h")
	fs.Func("interval", "time between scheduled snapshots [PALISADE_AGENT_INTERVAL] (default 1h)", func(s string) error {
		interval = s
		return nil
	})
	debounce := env("DEBOUNCE", "5s")
	fs.Func("debounce", "quiet time after Docker events before a snapshot is sent [PALISADE_AGENT_DEBOUNCE] (default 5s)", func(s string) error {
		debounce = s
		return nil
	})
	fs.StringVar(&c.hostRoot, "host-root", env("HOST_ROOT", "/"), "where the host's root filesystem is mounted, /host in a container [PALISADE_AGENT_HOST_ROOT]")
	fs.StringVar(&c.caBundle, "ca-bundle", env("CA_BUNDLE", ""), "PEM file of CAs to trust for the server [PALISADE_AGENT_CA_BUNDLE]")
	fs.StringVar(&c.hostname, "hostname", env("HOSTNAME", ""), "name to report for this host (default: the host's /etc/hostname) [PALISADE_AGENT_HOSTNAME]")
	fs.BoolVar(&c.once, "once", false, "send one snapshot and exit")
	fs.BoolVar(&c.print, "print", false, "print one snapshot as JSON to stdout and exit; needs no server")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if c.interval, err = time.ParseDuration(interval); err != nil || c.interval < time.Minute {
		return nil, fmt.Errorf("interval %q: want a duration of at least 1m", interval)
	}
	if c.debounce, err = time.ParseDuration(debounce); err != nil || c.debounce < 0 {
		return nil, fmt.Errorf("debounce %q: want a duration", debounce)
	}
	if !c.print {
		if err := checkServerURL(c.server); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func defaultSocket(getenv func(string) string) string {
	if h := getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		return strings.TrimPrefix(h, "unix://")
	}
	return "/var/run/docker.sock"
}

// checkServerURL allows https anywhere and plain http only to loopback, so
// that credentials and snapshots never cross a network in the clear.
func checkServerURL(s string) error {
	if s == "" {
		return errors.New("server: set -server or PALISADE_AGENT_SERVER")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("server %q: not an absolute URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("server %q: plain http is only allowed to loopback; use https", s)
	}
	return fmt.Errorf("server %q: scheme must be https", s)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
