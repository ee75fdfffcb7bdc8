package loadtest

import (
	"fmt"
	"strings"
)

// Mark is a check's status as the text and HTML reports show it: in upper
// case when it fails the run (FAILED, or SKIPPED and INCONCLUSIVE for a
// check the scenario requires), in lower case otherwise.
func (c Check) Mark() string {
	if c.FailsRun() {
		return strings.ToUpper(string(c.Status))
	}
	return string(c.Status)
}

// CountsText is "[750 seats] " or "[749 of 750 seats decided] " when the
// check counted what it decided.
func (c Check) CountsText() string {
	if c.Unit == "" {
		return ""
	}
	if c.Undecided == 0 {
		return fmt.Sprintf("[%d %s] ", c.Decided, c.Unit)
	}
	return fmt.Sprintf("[%d of %d %s decided] ", c.Decided, c.Decided+c.Undecided, c.Unit)
}

// HTMLClass is the report's style of a check's status.
func (c Check) HTMLClass() string {
	switch {
	case c.Status == StatusOK:
		return "ok"
	case c.FailsRun():
		return "fail"
	}
	return ""
}
