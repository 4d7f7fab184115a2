-- 005_care_alert_feeds.sql
-- The service's own durable alert feeds (PostgresAlertFeedStore): an append-only, ordered log per
-- feed (care team, program, region intake), kept outside grain state so that a feed of years costs
-- one row per alert instead of one ever-growing state blob rewritten on every append.
--
-- A subscriber that reconnects with the last sequence it saw reads "sequence > n ORDER BY sequence"
-- and so loses nothing and sees nothing twice; the primary key serves exactly that read.
CREATE TABLE cc_alert
(
    feed_id   varchar(200) NOT NULL,
    -- Position in the feed: 1, 2, 3, ... assigned by the store under a per-feed lock. Part of the
    -- primary key so two writers can never give two alerts the same position.
    sequence  bigint       NOT NULL,
    -- The alert's own id. Unique within its feed so that a retried append adds nothing.
    alert_id  varchar(400) NOT NULL,
    -- The alert as JSON: readable by an auditor with plain SQL and stable across code refactors.
    payload   jsonb        NOT NULL,
    stored_at timestamptz  NOT NULL DEFAULT now(),

    PRIMARY KEY (feed_id, sequence),
    UNIQUE (feed_id, alert_id)
);
