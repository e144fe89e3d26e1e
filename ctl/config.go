package ctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Environment variables read by Resolve.
const (
	EnvServer = "OUTPACE_SERVER"
	EnvToken  = "OUTPACE_TOKEN"
)

// DefaultServer is the address `outpace serve` listens on by default.
const DefaultServer = "127.0.0.1:7070"

// Saved is what Login keeps between commands.
type Saved struct {
	// Server is the address the token was issued by.
	Server string `json:"server"`
	// Token is the bearer token.
	Token string `json:"token"`
	// Tenant and App name whose token it is.
	Tenant string `json:"tenant"`
	App    string `json:"app"`
	// Expires is when the server stops accepting the token.
	Expires time.Time `json:"expires"`
}

// ConfigPath returns the file Login writes: outpace/ctl.json in the user's
// config directory (os.UserConfigDir).
func ConfigPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory to keep the token in (set %s instead): %w", EnvToken, err)
	}
	return filepath.Join(dir, "outpace", "ctl.json"), nil
}

// LoadSaved reads path; a missing file is an empty Saved, not an error.
func LoadSaved(path string) (Saved, error) {
	var s Saved
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w (delete it and log in again)", path, err)
	}
	return s, nil
}

// Save writes s to path, readable by its owner only (0600, its directory
// 0700): the token is a credential.
func (s Saved) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	// WriteFile keeps the mode of a file that exists; make sure.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Options are the settings every ctl command shares.
type Options struct {
	// Server is the API address (host:port); empty = OUTPACE_SERVER, the
	// saved login's server, then DefaultServer.
	Server string
	// Token is the bearer token; empty = OUTPACE_TOKEN, then the saved
	// login's token (when it was issued by the same server).
	Token string
	// TLS dials with TLS, verified against the system's roots.
	TLS bool
	// JSON prints protojson instead of tables.
	JSON bool
	// Timeout bounds each unary call (0 = 30 s).
	Timeout time.Duration
	// ConfigPath overrides ConfigPath() (tests).
	ConfigPath string
	// Getenv overrides os.Getenv (tests).
	Getenv func(string) string
}

// resolve fills Server and Token from the environment and the saved login.
func (o *Options) resolve() (path string, saved Saved, err error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	path = o.ConfigPath
	if path == "" {
		if p, perr := ConfigPath(); perr == nil {
			path = p
		}
	}
	if path != "" {
		if saved, err = LoadSaved(path); err != nil {
			return path, saved, err
		}
	}
	if o.Server == "" {
		o.Server = getenv(EnvServer)
	}
	if o.Server == "" {
		o.Server = saved.Server
	}
	if o.Server == "" {
		o.Server = DefaultServer
	}
	if o.Token == "" {
		o.Token = getenv(EnvToken)
	}
	if o.Token == "" && saved.Server == o.Server {
		o.Token = saved.Token
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return path, saved, nil
}
