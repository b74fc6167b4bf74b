package config

import (
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func noFiles(string) ([]byte, error) { return nil, os.ErrNotExist }

func TestLoadDefaults(t *testing.T) {
	c, err := LoadFrom(env(nil), noFiles)
	if err != nil {
		t.Fatalf("LoadFrom with empty environment: %v", err)
	}
	if c.ListenAddr != "127.0.0.1:8080" {
		t.Errorf("ListenAddr = %q, want 127.0.0.1:8080", c.ListenAddr)
	}
	if c.BaseURL.String() != "http://127.0.0.1:8080" {
		t.Errorf("BaseURL = %q, want http://127.0.0.1:8080", c.BaseURL)
	}
	if c.LogLevel != slog.LevelInfo || c.LogFormat != "text" {
		t.Errorf("log = %v/%q, want INFO/text", c.LogLevel, c.LogFormat)
	}
	if !c.MigrateOnStart || !c.RunWorkers || c.WorkerCount != 4 {
		t.Errorf("migrate/workers = %v/%v/%d, want true/true/4", c.MigrateOnStart, c.RunWorkers, c.WorkerCount)
	}
	if c.ShutdownTimeout != 30*time.Second {
		t.Errorf("ShutdownTimeout = %s, want 30s", c.ShutdownTimeout)
	}
	if !c.LocalMode() {
		t.Error("LocalMode() = false without an issuer, want true")
	}
}

func TestLoadRejectsBadValuesNamingTheVariable(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{name: "listen addr without port", env: map[string]string{"PALISADE_LISTEN_ADDR": "bogus"}, wantVar: "PALISADE_LISTEN_ADDR"},
		{name: "listen port too large", env: map[string]string{"PALISADE_LISTEN_ADDR": "127.0.0.1:70000"}, wantVar: "PALISADE_LISTEN_ADDR"},
		{name: "local mode on all interfaces", env: map[string]string{"PALISADE_LISTEN_ADDR": "0.0.0.0:8080"}, wantVar: "PALISADE_LISTEN_ADDR"},
		{name: "database url scheme", env: map[string]string{"PALISADE_DATABASE_URL": "mysql://x"}, wantVar: "PALISADE_DATABASE_URL"},
		{name: "log level", env: map[string]string{"PALISADE_LOG_LEVEL": "loud"}, wantVar: "PALISADE_LOG_LEVEL"},
		{name: "log format", env: map[string]string{"PALISADE_LOG_FORMAT": "xml"}, wantVar: "PALISADE_LOG_FORMAT"},
		{name: "short secret key", env: map[string]string{"PALISADE_SECRET_KEY": "short"}, wantVar: "PALISADE_SECRET_KEY"},
		{name: "base url relative", env: map[string]string{"PALISADE_BASE_URL": "/palisade"}, wantVar: "PALISADE_BASE_URL"},
		{name: "bool", env: map[string]string{"PALISADE_RUN_WORKERS": "maybe"}, wantVar: "PALISADE_RUN_WORKERS"},
		{name: "worker count zero", env: map[string]string{"PALISADE_WORKER_COUNT": "0"}, wantVar: "PALISADE_WORKER_COUNT"},
		{name: "duration", env: map[string]string{"PALISADE_SHUTDOWN_TIMEOUT": "soon"}, wantVar: "PALISADE_SHUTDOWN_TIMEOUT"},
		{name: "issuer without client", env: map[string]string{"PALISADE_OIDC_ISSUER_URL": "https://id.example"}, wantVar: "PALISADE_OIDC_CLIENT_ID"},
		{name: "default role", env: map[string]string{"PALISADE_OIDC_DEFAULT_ROLE": "root"}, wantVar: "PALISADE_OIDC_DEFAULT_ROLE"},
		{name: "scopes without openid", env: map[string]string{"PALISADE_OIDC_SCOPES": "email"}, wantVar: "PALISADE_OIDC_SCOPES"},
		{name: "idle above absolute", env: map[string]string{"PALISADE_SESSION_IDLE_TIMEOUT": "48h"}, wantVar: "PALISADE_SESSION_IDLE_TIMEOUT"},
		{name: "both secret and file", env: map[string]string{"PALISADE_SECRET_KEY": strings.Repeat("k", 32), "PALISADE_SECRET_KEY_FILE": "/x"}, wantVar: "PALISADE_SECRET_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFrom(env(tt.env), noFiles)
			if err == nil {
				t.Fatal("LoadFrom succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantVar+":") {
				t.Errorf("error %q does not name %s", err, tt.wantVar)
			}
		})
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	_, err := LoadFrom(env(map[string]string{
		"PALISADE_LISTEN_ADDR": "bogus",
		"PALISADE_LOG_FORMAT":  "xml",
	}), noFiles)
	if err == nil {
		t.Fatal("LoadFrom succeeded, want an error")
	}
	for _, name := range []string{"PALISADE_LISTEN_ADDR", "PALISADE_LOG_FORMAT"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	key := strings.Repeat("ab", 20)
	files := func(path string) ([]byte, error) {
		if path == "/run/secrets/key" {
			return []byte(key + "\n"), nil
		}
		return nil, errors.New("no such file")
	}
	c, err := LoadFrom(env(map[string]string{"PALISADE_SECRET_KEY_FILE": "/run/secrets/key"}), files)
	if err != nil {
		t.Fatalf("LoadFrom: %v", err)
	}
	if c.SecretKey != key {
		t.Errorf("SecretKey = %q, want the file's content without its newline", c.SecretKey)
	}

	_, err = LoadFrom(env(map[string]string{"PALISADE_SECRET_KEY_FILE": "/missing"}), files)
	if err == nil || !strings.Contains(err.Error(), "PALISADE_SECRET_KEY") {
		t.Errorf("missing file error = %v, want one naming PALISADE_SECRET_KEY", err)
	}
}

func TestOIDCModeMayListenEverywhere(t *testing.T) {
	c, err := LoadFrom(env(map[string]string{
		"PALISADE_LISTEN_ADDR":     "0.0.0.0:8080",
		"PALISADE_OIDC_ISSUER_URL": "https://id.example",
		"PALISADE_OIDC_CLIENT_ID":  "palisade",
		"PALISADE_BASE_URL":        "https://palisade.example/",
	}), noFiles)
	if err != nil {
		t.Fatalf("LoadFrom: %v", err)
	}
	if c.LocalMode() {
		t.Error("LocalMode() = true with an issuer, want false")
	}
	if c.BaseURL.String() != "https://palisade.example" {
		t.Errorf("BaseURL = %q, want the trailing slash trimmed", c.BaseURL)
	}
}

// TestReadmeListsEveryVariable keeps the README's configuration table true.
func TestReadmeListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	for _, o := range Options() {
		if !strings.Contains(string(readme), "`"+o.Name+"`") {
			t.Errorf("README.md does not document %s", o.Name)
		}
	}
}
