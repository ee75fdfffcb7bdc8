-- The retention sweep deletes delivered notifications past their
-- retention, oldest first; the undelivered ones have their own index.

-- +goose Up
CREATE INDEX notifications_delivered ON notifications (delivered_at) WHERE delivered_at IS NOT NULL;

-- +goose Down
DROP INDEX notifications_delivered;
