package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// Login exchanges an app id and access key for a token and saves it, with
// the server's address, in the config file (0600); later commands use it.
func (a *App) Login(ctx context.Context, app, key string) error {
	if app == "" {
		return errors.New("--app: the app id is required")
	}
	if key == "" {
		return errors.New("--key: the access key is required (or OUTPACE_ACCESS_KEY, or --key-stdin)")
	}
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	resp, err := a.AuthService.Login(ctx, &pb.LoginRequest{AppId: app, AccessKey: key})
	if err != nil {
		return a.apiError(err)
	}
	a.Opts.Token = resp.GetToken()
	saved := Saved{Server: a.Opts.Server, Token: resp.GetToken(), Tenant: resp.GetTenantId(), App: app,
		Expires: resp.GetExpiresAt().AsTime()}
	if a.path == "" {
		return fmt.Errorf("logged in, but there is no config directory to keep the token in: export %s=%s", EnvToken, resp.GetToken())
	}
	if err := saved.Save(a.path); err != nil {
		return fmt.Errorf("logged in, but saving the token: %w", err)
	}
	a.saved = saved
	if a.Opts.JSON {
		return a.showLine(resp)
	}
	fmt.Fprintf(a.Out, "logged in to %s as %s of tenant %s (%s) until %s\ntoken saved in %s\n",
		a.Opts.Server, app, resp.GetTenantId(), resp.GetTenantName(), when(resp.GetExpiresAt()), a.path)
	return nil
}

// ReadKey reads an access key from r: its first line, without the line end.
func ReadKey(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", err
	}
	s := string(b)
	for i, c := range s {
		if c == '\n' || c == '\r' {
			s = s[:i]
			break
		}
	}
	return s, nil
}

// Logout revokes the token and forgets the saved one.
func (a *App) Logout(ctx context.Context) error {
	if a.Opts.Token == "" {
		return errors.New("not logged in")
	}
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	_, err := a.AuthService.Logout(ctx, &pb.LogoutRequest{})
	if err != nil {
		return a.apiError(err)
	}
	if a.path != "" && a.saved.Token == a.Opts.Token {
		if err := os.Remove(a.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	fmt.Fprintln(a.Err, "logged out: the token is revoked")
	return nil
}

// WhoAmI prints the tenant and expiry of the token in use.
func (a *App) WhoAmI(ctx context.Context) error {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	resp, err := a.AuthService.WhoAmI(ctx, &pb.WhoAmIRequest{})
	if err != nil {
		return a.apiError(err)
	}
	return a.show(resp, func(w io.Writer) {
		row(w, "SERVER", "TENANT", "APP", "ADMIN", "EXPIRES")
		row(w, a.Opts.Server, resp.GetTenantId(), resp.GetAppId(), resp.GetAdmin(), when(resp.GetExpiresAt()))
	})
}
