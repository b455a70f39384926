-- The artist's calendar is read as far as it can be: what a refresh could not read (a
-- property, an event, a zone the library trips on) is counted, for the studio page.
ALTER TABLE busy_calendar ADD COLUMN skipped integer NOT NULL DEFAULT 0;
