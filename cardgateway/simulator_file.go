package cardgateway

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/boxoffice/boxoffice"
)

// ledgerLine is one change of a simulator's charges, as kept in its file.
type ledgerLine struct {
	Op       string `json:"op"` // "charge" or "refund"
	Key      string `json:"key,omitempty"`
	Ref      string `json:"ref"`
	Amount   int64  `json:"amount,omitempty"`
	Declined bool   `json:"declined,omitempty"`
}

// OpenSimulator returns a simulator that keeps its charges and refunds in
// the file at path (one JSON line per change, appended before the change
// is answered) and starts from what the file holds. A node restarted after
// a crash can then refund what it charged before, as it could with a real
// acquirer. Written with write(2), not synced: it survives the process, not
// the machine. Close closes the file.
func OpenSimulator(path string) (*Simulator, error) {
	s := NewSimulator()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("card simulator: %w", err)
	}
	if err := s.replay(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("card simulator %s: %w", path, err)
	}
	s.ledger = f
	return s, nil
}

// replay applies the lines of r. A last line cut short by a crash is
// ignored: its change was never answered.
func (s *Simulator) replay(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var l ledgerLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			continue
		}
		switch l.Op {
		case "charge":
			s.remember(&charge{key: l.Key, ref: l.Ref, amount: l.Amount, declined: l.Declined})
			if !l.Declined {
				s.captured += l.Amount
				s.charges++
			}
		case "refund":
			if c := s.chargeByRef(l.Ref); c != nil && !c.refunded {
				c.refunded = true
				s.refunded += c.amount
			}
		}
	}
	return sc.Err()
}

// record appends a change to the file, if there is one. The caller holds
// the lock and changes nothing when it fails.
func (s *Simulator) record(l ledgerLine) error {
	if s.ledger == nil {
		return nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if _, err := s.ledger.Write(append(b, '\n')); err != nil {
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "card gateway not reached: %v", err)
	}
	return nil
}

// Close closes the simulator's file, if it has one.
func (s *Simulator) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ledger == nil {
		return nil
	}
	err := s.ledger.Close()
	s.ledger = nil
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
