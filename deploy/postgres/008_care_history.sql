-- 008_care_history.sql
-- Filed history (PostgresHistoryStore): what grains move out of their state once it is written, so a
-- record's state stays the same size however long its history. Append-only logs per owner (a grain id)
-- and log name: "timeline" (a person's timeline, keyed by zero-padded sequence) and "requests" (the
-- answers given to write requests, keyed by request id, so a retry returns the first answer).
CREATE TABLE cc_history
(
    owner   text  NOT NULL,
    log     text  NOT NULL,
    -- Compared byte by byte ("C"), as the embedded and Azure stores compare keys.
    key     text  COLLATE "C" NOT NULL,
    -- Orleans' binary serialization of the entry (version-tolerant by its [Id]s).
    payload bytea NOT NULL,

    PRIMARY KEY (owner, log, key)
);
