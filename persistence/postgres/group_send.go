package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Sending a group (group.go): one pipelined batch, or each statement
// alone when the group's failure cannot be blamed on one of them.

// eachAlone sends the statements one by one, each its own transaction,
// and answers each its own result. A connection error fails the ones not
// answered yet, as for a group.
func (w *groupWriter) eachAlone(ctx context.Context, group []*stmt) {
	for i, s := range group {
		tags, _, err := sendGroup(ctx, w.pool, group[i:i+1])
		switch {
		case err == nil:
			w.commits.Add(1)
			s.done <- stmtResult{tag: tags[0]}
		case isConnectionError(err):
			answer(group[i:], stmtResult{err: w.unknown(err)})
			return
		default:
			s.done <- stmtResult{err: err}
		}
	}
}

// unknown is the error of a group that failed as a whole: EUNAVAILABLE
// for a connection that failed or timed out, and its commit may have been
// applied without its answer reaching us.
func (w *groupWriter) unknown(err error) error {
	return fmt.Errorf("%w (whether the write was saved is unknown)", w.d.translate(unavailableIfConn(w.d.service, err)))
}

// retryable reports a serialization failure or a deadlock: the group is
// rolled back and may pass when sent again.
func retryable(code string) bool { return code == "40001" || code == "40P01" }

// groupTimeout bounds one group, its resending included.
const groupTimeout = CallTimeout

// sendGroup sends the statements as one batch, one implicit transaction
// that the batch's closing Sync commits. failed is the index of the
// statement whose error aborted the batch, -1 when the error is not one
// statement's.
func sendGroup(ctx context.Context, conn batchSender, group []*stmt) (tags []pgconn.CommandTag, failed int, err error) {
	batch := &pgx.Batch{}
	for _, s := range group {
		batch.Queue(s.sql, s.args...)
	}
	br := conn.SendBatch(ctx, batch)
	tags = make([]pgconn.CommandTag, len(group))
	failed = -1
	for i := range group {
		tag, execErr := br.Exec()
		if execErr != nil {
			failed, err = i, execErr
			break
		}
		tags[i] = tag
	}
	if closeErr := br.Close(); err == nil && closeErr != nil {
		return nil, -1, closeErr
	}
	if err != nil {
		var prep *pgx.ErrPreprocessingBatch
		if errors.As(err, &prep) {
			failed = -1 // preparing failed: the statement is not known
		}
		return nil, failed, err
	}
	return tags, -1, nil
}

// batchSender is a connection, or the pool that lends one for a batch.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// unavailableIfConn makes a connection error EUNAVAILABLE with its cause;
// translate does the rest.
func unavailableIfConn(service string, err error) error {
	if isConnectionError(err) {
		return unavailable(service, err)
	}
	return err
}
