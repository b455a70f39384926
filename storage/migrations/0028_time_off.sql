-- The artist's time off, blocked from the studio page's agenda: kept here (not in
-- STUDIO_FILE) so every replica sees a block or an unblock at once. No slot is offered
-- over it; blocking never moves a booked appointment or a hold. Rows are written by the
-- artist's actor's turn and deleted by its unblock.
CREATE TABLE time_off (
    id         bigserial   PRIMARY KEY,
    during     tstzrange   NOT NULL CHECK (NOT isempty(during) AND NOT lower_inf(during)
                                           AND NOT upper_inf(during)),
    note       text        NOT NULL DEFAULT '' CHECK (length(note) <= 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX time_off_during_idx ON time_off USING gist (during);
