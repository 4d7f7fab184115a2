-- 006_care_gap_due.sql
-- The care-gap clock's index (PostgresGapDueStore): when each client or program is next due to be
-- woken for a time-based care gap. One row per owner, so registering a due time writes one row and
-- the cost does not grow with the number of clients; a clock shard reads its rows once when it
-- activates and keeps them in memory, ordered by due time.
CREATE TABLE cc_gap_due
(
    -- 1 = client, 2 = program (GapOwnerKind).
    owner_kind smallint     NOT NULL,
    owner_id   varchar(200) NOT NULL,
    -- The clock shard the owner hashes to (CareGaps:ClockShards); rewritten if the shard count changes.
    shard      integer      NOT NULL,
    due_at     timestamptz  NOT NULL,

    PRIMARY KEY (owner_kind, owner_id)
);

-- A shard's activation reads its own rows.
CREATE INDEX cc_gap_due_shard ON cc_gap_due (shard);
