-- Why a failed booking failed, as a code (boxoffice.BookingFailed*), so that
-- the error it answers with no longer depends on the wording of its message.
-- Bookings that failed before get the code their message starts with.

-- +goose Up
ALTER TABLE bookings ADD COLUMN failure_code text NOT NULL DEFAULT '';

UPDATE bookings SET failure_code = CASE
    WHEN starts_with(failure, 'payment declined') THEN 'payment_declined'
    WHEN starts_with(failure, 'the hold ended before the seats were confirmed') THEN 'hold_lost'
    WHEN starts_with(failure, 'the showtime was cancelled or started before the seats were confirmed') THEN 'showtime_unavailable'
    WHEN starts_with(failure, 'the booking was interrupted before any payment') THEN 'interrupted'
    ELSE ''
END
WHERE status = 'failed';

-- +goose Down
ALTER TABLE bookings DROP COLUMN failure_code;
