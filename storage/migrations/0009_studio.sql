-- The studio page: who may see it. Tokens and session ids are stored only as SHA-256
-- hashes, so a copy of the database signs nobody in.

-- The cookie signing key when SESSION_SECRET is unset: made once, shared by every replica.
CREATE TABLE studio_secret (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),  -- one row at most
    secret     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One-time sign-in links sent to the artist's WhatsApp (through the outbox).
CREATE TABLE studio_sign_in_links (
    token_hash text PRIMARY KEY,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Signed-in browsers; signing out (or expiry) ends one for good.
CREATE TABLE studio_sessions (
    session_hash text PRIMARY KEY,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Wrong passwords, per client address: five in ten minutes and the address waits.
CREATE TABLE studio_password_failures (
    id      bigserial PRIMARY KEY,
    address text        NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX studio_password_failures_idx ON studio_password_failures (address, at);
