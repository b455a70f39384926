-- The studio page: who may see it. Tokens are stored only as SHA-256 hashes, so a copy
-- of the database signs nobody in.

-- The cookie signing key when SESSION_SECRET is unset: made once, shared by every replica.
CREATE TABLE studio_secret (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),  -- one row at most
    secret     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One-time sign-in links sent to the artist's WhatsApp (through the outbox), and the
-- sessions of signed-in browsers. A token is live until it expires or ends: a link ends
-- when it is used, a session when its browser signs out.
CREATE TABLE studio_tokens (
    token_hash text PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('link', 'session')),
    expires_at timestamptz NOT NULL,
    ended_at   timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Wrong passwords, per client address: five in ten minutes and the address waits.
CREATE TABLE studio_password_failures (
    id      bigserial PRIMARY KEY,
    address text        NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX studio_password_failures_idx ON studio_password_failures (address, at);

-- When the artist last opened each lead's page: a message forwarded to the artist after
-- it is "not yet seen", and puts the lead under "Needs you" on the board.
CREATE TABLE studio_seen (
    lead_key text PRIMARY KEY,
    seen_at  timestamptz NOT NULL
);
