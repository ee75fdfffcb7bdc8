package loadtest

import "github.com/anishathalye/porcupine"

// LinearizableSeatFull and LinearizableSeatReduced say whether one seat's
// history is linearizable, checked by porcupine in full and after
// reduceOps, for the test that proves the reduction changes no verdict.
func LinearizableSeatFull(ops []SeatOp, ttlMin int64, windows []ClockWindow) bool {
	return porcupine.CheckOperations(seatModel{ttlMin: ttlMin, windows: windows}.porcupine(), operations(ops))
}

func LinearizableSeatReduced(ops []SeatOp, ttlMin int64, windows []ClockWindow) bool {
	return porcupine.CheckOperations(seatModel{ttlMin: ttlMin, windows: windows}.porcupine(), operations(reduceOps(ops, ttlMin, windows)))
}
