-- Answers, one row per answer as given (the snapshot holds the same list); the latest
-- per question is chosen by `seq`, the lead's own counter, everywhere it is read.
CREATE TABLE answers (
    lead_key     text        NOT NULL,
    seq          integer     NOT NULL,
    question_key text        NOT NULL,
    value        text        NOT NULL,
    media_id     text,
    message_id   text        NOT NULL,
    answered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lead_key, seq)
);

-- A row the relay refused to send because the recipient opted out after it was written.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'sent', 'dead', 'suppressed'));
