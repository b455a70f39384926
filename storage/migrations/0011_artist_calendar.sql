-- The artist's calendar, both ways: the busy times read from their own calendar, and
-- the key of the feed of booked appointments their phone subscribes to.

-- The artist's own calendar (BUSY_CALENDAR_URL), read every few minutes by whichever
-- replica claims the fetch, expanded into busy intervals that every replica reads.

-- At most one row, made by the first claim: who is fetching (a fenced claim with a
-- lease, so one fetch at a time across replicas), when the last fetch was tried, and
-- the last good copy's time and size.
CREATE TABLE busy_calendar (
    id            boolean     PRIMARY KEY DEFAULT true CHECK (id),
    source        text,                  -- a digest of the address (never the address)
    claim         uuid,                  -- the fetch under way, if any
    claimed_until timestamptz,
    attempted_at  timestamptz,           -- the last fetch tried, good or not
    refreshed_at  timestamptz,           -- the last good copy
    intervals     integer     NOT NULL DEFAULT 0,
    failing_since timestamptz,           -- set while fetches fail; the copy is kept
    failure       text                   -- why, in words that never carry the address
);

-- The last good copy, expanded: recurring events as their occurrences, all-day events
-- as whole days in the calendar's timezone.
CREATE TABLE busy_intervals (
    id     bigserial PRIMARY KEY,
    during tstzrange NOT NULL CHECK (NOT isempty(during))
);
CREATE INDEX busy_intervals_during_idx ON busy_intervals USING gist (during);

-- The key of the artist's calendar feed (/studio/calendar.ics?key=...) when
-- STUDIO_CALENDAR_KEY is not set: made by the first request for the feed's address,
-- replaced by a rotation (the old address stops working at once).
CREATE TABLE calendar_feed_key (
    id         boolean     PRIMARY KEY DEFAULT true CHECK (id),
    key        text        NOT NULL,
    rotated_at timestamptz NOT NULL DEFAULT now()
);
