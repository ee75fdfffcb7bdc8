package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// RemoteTLS secures the actor remote port with mutual TLS: each node
// presents Certificate and accepts only peers whose certificate CAs signed,
// both when it listens and when it dials. The CA is the cluster's own, so
// any certificate it signed is a member: peer host names are not checked,
// and one certificate may serve every node.
type RemoteTLS struct {
	Certificate tls.Certificate
	CAs         *x509.CertPool
}

// LoadRemoteTLS reads a node's certificate and key and the cluster CA from
// PEM files.
func LoadRemoteTLS(certFile, keyFile, caFile string) (*RemoteTLS, error) {
	if certFile == "" || keyFile == "" || caFile == "" {
		return nil, errors.New("cluster TLS needs a certificate, its key and the CA, all three")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster TLS certificate: %w", err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("cluster TLS CA: %w", err)
	}
	cas := x509.NewCertPool()
	if !cas.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster TLS CA: no PEM certificate in %s", caFile)
	}
	return &RemoteTLS{Certificate: cert, CAs: cas}, nil
}

// options are the remote's gRPC server and dial credentials. They replace
// protoactor's default dial option (plain text).
func (t *RemoteTLS) options() []remote.ConfigOption {
	server := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{t.Certificate},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    t.CAs,
	}
	client := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{t.Certificate},
		// The chain is verified below against the cluster CA; the name is
		// not, since nodes dial each other by whatever address they
		// advertise and every certificate of the CA is a member.
		InsecureSkipVerify: true,
		VerifyConnection:   t.verifyServer,
	}
	return []remote.ConfigOption{
		remote.WithServerOptions(grpc.Creds(credentials.NewTLS(server))),
		remote.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(client))),
	}
}

// verifyServer accepts a peer whose certificate chains to the cluster CA.
func (t *RemoteTLS) verifyServer(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("cluster TLS: the peer sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots: t.CAs, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("cluster TLS: peer certificate: %w", err)
	}
	return nil
}
