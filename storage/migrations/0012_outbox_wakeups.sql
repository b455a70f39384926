-- Wake-ups across processes and machines: a row that becomes deliverable (inserted, or
-- moved back to pending by a re-drive) notifies `booking_outbox` inside the transaction
-- that wrote it, so listeners hear it only once it commits, and Postgres folds the
-- notifications of one transaction into one. Polling stays the fallback: a notification
-- lost while nobody listened only delays a delivery to the next poll.
CREATE FUNCTION notify_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('booking_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_inserted_wakes
AFTER INSERT ON outbox
FOR EACH ROW EXECUTE FUNCTION notify_outbox();

CREATE TRIGGER outbox_redriven_wakes
AFTER UPDATE OF status ON outbox
FOR EACH ROW WHEN (NEW.status = 'pending' AND OLD.status IS DISTINCT FROM 'pending')
EXECUTE FUNCTION notify_outbox();
