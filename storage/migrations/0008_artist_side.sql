-- The artist's side: a swipe-reply from the artist names the message it answers by the
-- id Meta gave it when we sent it (`outbox.provider_message_id`); this finds its lead.
CREATE INDEX IF NOT EXISTS outbox_provider_message_idx ON outbox (provider_message_id);
