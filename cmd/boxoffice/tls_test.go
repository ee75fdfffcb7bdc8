package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	nethttp "net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// --tls-cert and --tls-key (or their environment twins) make a node serve
// its API over HTTPS; one without the other is refused.
func TestServeTLSFlags(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	cfg, err := ParseConfig([]string{"--http", "127.0.0.1:0", "--data", t.TempDir(), "--remote", "127.0.0.1:0", "--ops-addr", "off", "--tls-cert", certFile},
		envOf(map[string]string{"BOXOFFICE_TLS_KEY": keyFile}), io.Discard)
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	require.Contains(t, cfg.String(), "tls=true")
	cfg.Node = "tls"
	m := mustRunMain(t, cfg)
	require.True(t, strings.HasPrefix(m.HTTP.URL(), "https://"), m.HTTP.URL())

	tr := &nethttp.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	res, err := (&nethttp.Client{Transport: tr, Timeout: 5 * time.Second}).Get(m.HTTP.URL() + "/api/v1/showtimes?limit=1")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, nethttp.StatusOK, res.StatusCode)

	cfg, err = ParseConfig([]string{"--tls-cert", certFile}, envOf(nil), io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, cfg.Validate(), "--tls-key")
}
