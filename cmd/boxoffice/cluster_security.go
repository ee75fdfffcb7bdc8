package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/boxoffice/boxoffice/cluster"
)

// The gossip key is a secret, so it has no flag (a flag shows in ps):
// only these environment variables, the second for Docker secrets.
const (
	clusterKeyEnv     = "BOXOFFICE_CLUSTER_KEY"
	clusterKeyFileEnv = "BOXOFFICE_CLUSTER_KEY_FILE"
)

// clusterTLSFlags declares the files of the remote port's mutual TLS:
// paths are no secret, so they are flags too.
func clusterTLSFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.ClusterTLSCert, "cluster-tls-cert", "", "PEM certificate this node presents on the actor remote port (mutual TLS; with --cluster-tls-key and --cluster-tls-ca)")
	fs.StringVar(&c.ClusterTLSKey, "cluster-tls-key", "", "PEM private key of --cluster-tls-cert")
	fs.StringVar(&c.ClusterTLSCA, "cluster-tls-ca", "", "PEM certificate of the cluster CA: the remote port accepts only peers it signed")
}

// readClusterKey reads the gossip key from the environment; its _FILE twin
// is answered by withSecretFiles like every secret's. Unset: no key.
func readClusterKey(getenv func(string) string) ([]byte, error) {
	v := getenv(clusterKeyEnv)
	if v == "" {
		return nil, nil
	}
	key, err := cluster.ParseGossipKey(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", clusterKeyEnv, err)
	}
	return key, nil
}

func (c Config) validateClusterTLS() error {
	set := 0
	for _, f := range []string{c.ClusterTLSCert, c.ClusterTLSKey, c.ClusterTLSCA} {
		if f != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		return errors.New("--cluster-tls-cert, --cluster-tls-key and --cluster-tls-ca go together: set all three or none")
	}
	return nil
}

// remoteTLS loads the remote port's certificates; nil without them.
func (c Config) remoteTLS() (*cluster.RemoteTLS, error) {
	if c.ClusterTLSCert == "" {
		return nil, nil
	}
	return cluster.LoadRemoteTLS(c.ClusterTLSCert, c.ClusterTLSKey, c.ClusterTLSCA)
}

// warnOpenCluster says what a clustered node leaves open: anyone who
// reaches the gossip port can join without a key, and anyone who reaches
// the remote port can call grains without TLS.
func (c Config) warnOpenCluster(log *slog.Logger) {
	if !c.Clustered() {
		return
	}
	if len(c.ClusterKey) == 0 {
		log.Warn("gossip is neither encrypted nor authenticated: any host that reaches the gossip port can join; set " + clusterKeyEnv + " (openssl rand -base64 32) on every node")
	}
	if c.ClusterTLSCert == "" {
		log.Warn("the actor remote port is plain text: any host that reaches it can send to grains; set --cluster-tls-cert, --cluster-tls-key and --cluster-tls-ca")
	}
}

func (c Config) clusterSecurityString() string {
	key, tls := "off", "off"
	if len(c.ClusterKey) > 0 {
		key = "(set, hidden)"
	}
	if c.ClusterTLSCert != "" {
		tls = "on"
	}
	return "cluster-key=" + key + " cluster-tls=" + tls
}
