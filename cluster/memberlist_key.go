package cluster

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// GossipKeyLen is the length of the gossip key: 32 bytes select AES-256.
const GossipKeyLen = 32

// ParseGossipKey decodes a gossip key given as base64 (standard or URL
// alphabet, padded or not), such as `openssl rand -base64 32` prints. Every
// node of a cluster needs the same key.
func ParseGossipKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, checkGossipKey(b)
		}
	}
	return nil, fmt.Errorf("cluster key is not base64 (make one with: openssl rand -base64 %d)", GossipKeyLen)
}

func checkGossipKey(b []byte) error {
	if len(b) != GossipKeyLen {
		return fmt.Errorf("cluster key is %d bytes, want %d (make one with: openssl rand -base64 %d)", len(b), GossipKeyLen, GossipKeyLen)
	}
	return nil
}
