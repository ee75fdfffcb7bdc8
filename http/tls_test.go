package http_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	boxhttp "github.com/boxoffice/boxoffice/http"
)

// SelfSignedCert writes a certificate for 127.0.0.1 and its key, PEM, into
// dir, and returns their paths and a pool that trusts the certificate.
func SelfSignedCert(tb testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "boxoffice test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(tb, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(tb, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(tb, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(tb, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(tb, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// With a certificate the server answers HTTPS only: a client that trusts
// the certificate gets its answers, a plain-HTTP one does not.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := SelfSignedCert(t, t.TempDir())
	ts := NewTestServer(t, func(c *boxhttp.Config) { c.TLSCertFile, c.TLSKeyFile = certFile, keyFile })
	require.NoError(t, ts.Open())
	t.Cleanup(func() { ts.client = &http.Client{}; ts.MustClose(t) })
	require.True(t, strings.HasPrefix(ts.URL(), "https://127.0.0.1:"), ts.URL())

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(ts.URL() + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.NotNil(t, res.TLS)
	require.GreaterOrEqual(t, res.TLS.Version, uint16(tls.VersionTLS12))

	plain := &http.Transport{}
	defer plain.CloseIdleConnections()
	res, err = (&http.Client{Transport: plain, Timeout: 5 * time.Second}).Get("http://" + strings.TrimPrefix(ts.URL(), "https://") + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusBadRequest, res.StatusCode, "plain HTTP to the HTTPS port")
}

// A certificate that cannot be loaded fails Open: no silent plain HTTP.
func TestServeTLSBadCertificate(t *testing.T) {
	dir := t.TempDir()
	ts := NewTestServer(t, func(c *boxhttp.Config) {
		c.TLSCertFile, c.TLSKeyFile = filepath.Join(dir, "missing.pem"), filepath.Join(dir, "missing-key.pem")
	})
	require.ErrorContains(t, ts.Open(), "TLS certificate")
	require.Empty(t, ts.URL())
}
