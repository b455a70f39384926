-- A lead is one person, whatever WhatsApp calls them: its opaque id (`leads.lead_id`,
-- 0003) and every identifier that ever arrived for it (phone, BSUID, parent BSUID;
-- current and previous). The actor's key (`leads.lead_key`) stays what it was: an
-- existing lead's is its phone; a new lead's is its phone when its first message
-- carried one, else its lead id. Any identifier is resolved to that key at the door.

-- What a lead is called besides its identifiers: its WhatsApp username, the latest.
CREATE TABLE lead_profiles (
    lead_key   text PRIMARY KEY,
    username   text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_profiles_username_idx ON lead_profiles (lower(username))
    WHERE username IS NOT NULL;

-- A lead first known by BSUID is keyed by its lead id: the row's id is its key.
CREATE FUNCTION lead_id_from_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.lead_id := NEW.lead_key::uuid;
    RETURN NEW;
END;
$$;
CREATE TRIGGER leads_keyed_by_lead_id BEFORE INSERT ON leads FOR EACH ROW
    WHEN (NEW.lead_key ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
    EXECUTE FUNCTION lead_id_from_key();

-- One identifier belongs to one lead, for ever: (kind, value) is unique, so two
-- items from one person cannot make two leads. `until` set: a previous one, still found.
CREATE TABLE lead_identities (
    kind     text        NOT NULL CHECK (kind IN ('wa_id', 'user_id', 'parent_user_id')),
    value    text        NOT NULL,
    lead_key text        NOT NULL,
    since    timestamptz NOT NULL DEFAULT now(),
    until    timestamptz,
    PRIMARY KEY (kind, value)
);
CREATE INDEX lead_identities_lead_idx ON lead_identities (lead_key);

-- Every existing lead keeps its key, its id and its history; its wa_id becomes its phone.
INSERT INTO lead_identities (kind, value, lead_key, since)
SELECT 'wa_id', lead_key, lead_key, created_at FROM leads
ON CONFLICT DO NOTHING;

-- The artist's BSUID, learned from the first message from the artist's number that
-- carried one (ARTIST_WHATSAPP_USER_ID, when set, wins over it).
CREATE TABLE artist_identities (
    actor_key  text PRIMARY KEY,                    -- 'artist'
    user_id    text        NOT NULL,
    learned_at timestamptz NOT NULL DEFAULT now()
);
