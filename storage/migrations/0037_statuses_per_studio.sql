-- A delivery status and a message's pricing are kept per studio, like every key of a
-- studio's rows (README, "Many studios": statuses apply only to messages sent from the
-- number they came for). Keyed by Meta's message id alone, a status posted to one
-- studio's number naming another studio's message took the key first, and the other
-- studio's own report of that message was then dropped as a duplicate.
ALTER TABLE message_statuses DROP CONSTRAINT message_statuses_pkey,
    ADD PRIMARY KEY (studio_id, provider_message_id, state);
ALTER TABLE message_pricing DROP CONSTRAINT message_pricing_pkey,
    ADD PRIMARY KEY (studio_id, provider_message_id);
