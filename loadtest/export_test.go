package loadtest

import "github.com/anishathalye/porcupine"

// LinearizableSeatFull and LinearizableSeatReduced say whether one seat's
// history is linearizable, checked by porcupine in full and after
// reduceOps, for the test that proves the reduction changes no verdict.
func LinearizableSeatFull(ops []SeatOp, ttlMin int64) bool {
	return porcupine.CheckOperations(seatModel{ttlMin: ttlMin}.porcupine(), operations(ops))
}

func LinearizableSeatReduced(ops []SeatOp, ttlMin int64) bool {
	return porcupine.CheckOperations(seatModel{ttlMin: ttlMin}.porcupine(), operations(reduceOps(ops, ttlMin)))
}
