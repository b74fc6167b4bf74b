package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
	"github.com/palisadesec/palisade/internal/hostsnapshot/collect"
)

// maxEventDelay caps how long a stream of events can hold back a snapshot.
const maxEventDelay = 30 * time.Second

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With(slog.String("component", "agent"))
	col := collect.New(cfg.socket, cfg.hostRoot, version)
	col.Hostname = cfg.hostname
	if cfg.print {
		s, err := col.Collect(ctx)
		if err != nil {
			return err
		}
		return hostsnapshot.Encode(stdout, s)
	}
	cl, err := newClient(cfg.server, cfg.caBundle)
	if err != nil {
		return err
	}
	cred, err := credentialFor(ctx, cfg, cl, col, getenv, log)
	if err != nil {
		return err
	}
	a := &agent{cfg: cfg, client: cl, cred: cred, col: col, log: log}
	if cfg.once {
		return a.sendOnce(ctx)
	}
	return a.loop(ctx)
}

// credentialFor loads the stored credential or enrols with the token.
func credentialFor(ctx context.Context, cfg *config, cl *client, col *collect.Collector, getenv func(string) string, log *slog.Logger) (*credential, error) {
	cred, err := loadCredential(cfg.credentialFile)
	if err == nil {
		return cred, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	token := cfg.token
	if token == "" && cfg.tokenFile != "" {
		b, err := os.ReadFile(cfg.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("read token file: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return nil, fmt.Errorf("no credential in %s and no enrolment token: set -token or PALISADE_AGENT_TOKEN", cfg.credentialFile)
	}
	hostname := cfg.hostname
	if hostname == "" {
		hostname, _ = os.Hostname()
	}
	cred, err = cl.enroll(ctx, token, hostname)
	if err != nil {
		return nil, err
	}
	if err := saveCredential(cfg.credentialFile, cred); err != nil {
		return nil, err
	}
	log.Info("Enrolled", slog.String("host_id", cred.HostID), slog.String("credential_file", cfg.credentialFile))
	return cred, nil
}

type agent struct {
	cfg    *config
	client *client
	cred   *credential
	col    *collect.Collector
	log    *slog.Logger
}

func (a *agent) sendOnce(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	s, err := a.col.Collect(cctx)
	if err != nil {
		return fmt.Errorf("collect snapshot: %w", err)
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("collected snapshot: %w", err)
	}
	if err := a.client.send(cctx, a.cred, s); err != nil {
		return err
	}
	a.log.Info("Snapshot sent", slog.Int("containers", len(s.Engine.Containers.Value)),
		slog.Int("images", len(s.Engine.Images.Value)))
	return nil
}

// loop sends at start, every interval, and after Docker events (once the
// events have been quiet for the debounce time, or at most maxEventDelay
// after the first one). Failed sends are retried with a growing delay.
func (a *agent) loop(ctx context.Context) error {
	events := make(chan struct{}, 1)
	go a.watchEvents(ctx, events)

	next := time.NewTimer(0)
	defer next.Stop()
	var debounce <-chan time.Time
	var firstEvent time.Time
	retry := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-events:
			now := time.Now()
			if firstEvent.IsZero() {
				firstEvent = now
			}
			wait := a.cfg.debounce
			if rest := maxEventDelay - now.Sub(firstEvent); rest < wait {
				wait = max(rest, 0)
			}
			debounce = time.After(wait)
			continue
		case <-debounce:
		case <-next.C:
		}
		debounce, firstEvent = nil, time.Time{}
		err := a.sendOnce(ctx)
		switch {
		case err == nil:
			retry = 0
			resetTimer(next, a.cfg.interval)
		case errors.Is(err, errRejected):
			a.log.Error("Server rejected the agent's credential; enrol again with a new token", slog.Any("error", err))
			resetTimer(next, a.cfg.interval)
		default:
			retry = min(max(2*retry, 10*time.Second), a.cfg.interval)
			a.log.Warn("Snapshot not sent", slog.Any("error", err), slog.Duration("retry_in", retry))
			resetTimer(next, retry)
		}
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	t.Reset(d)
}

// eventFilters selects the events that can change a benchmark result.
var eventFilters = map[string][]string{"type": {"container", "daemon", "network", "image", "plugin"}}

// triggers says which event actions call for a new snapshot.
var triggers = map[string]bool{
	"create": true, "destroy": true, "start": true, "stop": true, "die": true,
	"pause": true, "unpause": true, "rename": true, "update": true, "restart": true,
	"reload": true, "connect": true, "disconnect": true, "delete": true,
	"import": true, "load": true, "pull": true, "tag": true, "untag": true,
	"enable": true, "disable": true, "install": true, "remove": true,
}

func (a *agent) watchEvents(ctx context.Context, out chan<- struct{}) {
	backoff := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		err := a.col.Docker.Events(ctx, eventFilters, func(ev collect.Event) {
			if a.col.ObserveEvent(ctx, ev) || !triggers[ev.Action] {
				return
			}
			a.log.Debug("Docker event", slog.String("type", ev.Type), slog.String("action", ev.Action))
			select {
			case out <- struct{}{}:
			default:
			}
		})
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		a.log.Warn("Docker event stream broke", slog.Any("error", err), slog.Duration("retry_in", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
		// Events may have been missed while the stream was down.
		select {
		case out <- struct{}{}:
		default:
		}
	}
}
