package cluster

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// nodeMeta is what a node tells the others about itself in memberlist's
// node metadata (JSON, at most memberlist.MetaMaxSize = 512 bytes).
type nodeMeta struct {
	Name    string   `json:"name"`              // display name
	Remote  string   `json:"remote"`            // actor remote host:port
	HTTP    string   `json:"http,omitempty"`    // HTTP API host:port
	Kinds   []string `json:"kinds,omitempty"`   // protoactor kinds hosted
	Leaving bool     `json:"leaving,omitempty"` // set just before a graceful leave
}

func (m nodeMeta) encode() ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("cluster: node metadata is %d bytes, memberlist allows %d (too many kinds?)", len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

func decodeMeta(b []byte) (nodeMeta, error) {
	var m nodeMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("cluster: node metadata: %w", err)
	}
	if _, _, err := splitHostPort(m.Remote); err != nil {
		return m, fmt.Errorf("cluster: node metadata: remote %q: %w", m.Remote, err)
	}
	return m, nil
}
