package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/outpace-dev/outpace/api"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

func TestMessageSizeLimit(t *testing.T) {
	e := newEnv(t, func(_ *env, c *api.Config) { c.MaxRecvMsgSize = 4096 }, nil)
	ctx := e.login(t, "acme")
	_, err := pb.NewBlacklistServiceClient(e.conn).BulkAddBlacklist(ctx,
		&pb.BulkAddBlacklistRequest{Phones: []string{strings.Repeat("1", 5000)}})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("an oversized request: %v", err)
	}
	if _, err := pb.NewTaskServiceClient(e.conn).ListTasks(ctx, &pb.ListTasksRequest{}); err != nil {
		t.Fatalf("the connection after it: %v", err)
	}
}

// TestTLS serves with a certificate made for the test and logs in over it.
func TestTLS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "outpace test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := api.LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(_ *env, c *api.Config) { c.TLS = cfg }, nil)
	// The plain connection of the environment is refused...
	if _, err := pb.NewAuthServiceClient(e.conn).Login(context.Background(),
		&pb.LoginRequest{AppId: "acme-app", AccessKey: "acme" + keySuffix}); status.Code(err) != codes.Unavailable {
		t.Fatalf("plain text to a TLS server: %v", err)
	}
	// ...and one that trusts the certificate logs in.
	parsed, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	conn, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pb.NewAuthServiceClient(conn).Login(context.Background(),
		&pb.LoginRequest{AppId: "acme-app", AccessKey: "acme" + keySuffix}); err != nil {
		t.Fatal(err)
	}
}
