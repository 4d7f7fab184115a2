-- 002_orleans_clustering.sql
-- Cluster membership for Microsoft.Orleans.Clustering.AdoNet 10.4.2 (silos and gateway clients).
--
-- Contract with the provider (checked against the 10.4.2 assembly, see README.md):
--   keys      UpdateIAmAlivetimeKey, InsertMembershipVersionKey, InsertMembershipKey,
--             UpdateMembershipKey, MembershipReadRowKey, MembershipReadAllKey,
--             DeleteMembershipTableEntriesKey, GatewaysQueryKey, CleanupDefunctSiloEntriesKey
--             (all required: the provider refuses to start if one is missing) and
--             CleanupDefunctSiloEntryKey (optional; when present the provider uses it instead of
--             CleanupDefunctSiloEntriesKey).
--   params    @DeploymentId (the ClusterId), @Address, @Port, @Generation, @SiloName, @HostName,
--             @Status, @ProxyPort, @StartTime, @IAmAliveTime, @SuspectTimes, @Version.
--   results   membership reads return DeploymentId, Address, Port, Generation, SiloName, HostName,
--             Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime, Version; the gateway query
--             returns Address, ProxyPort, Generation; writes return one row with one column whose
--             value is > 0 on success and 0 when the write was refused.
--
-- How Orleans uses these tables: every membership change (a silo joining, being suspected, dying)
-- is an optimistic write guarded by the single version row of the cluster. A write succeeds only if
-- the caller still holds the current version, and then increments it; if the write cannot be
-- completed the version must not move either, otherwise other silos would observe a version change
-- with no change behind it. Heartbeats (IAmAliveTime) are not membership changes and never touch
-- the version.
--
-- SiloStatus values stored in Status: 0 None, 1 Created, 2 Joining, 3 Active, 4 ShuttingDown,
-- 5 Stopping, 6 Dead.
--
-- Timestamps are timestamptz: the provider writes UTC DateTime values and Npgsql (6 and later)
-- only maps UTC DateTime values to timestamptz. Millisecond precision matches what Orleans keeps.

-- One row per cluster: the version that every membership write must match and advance.
CREATE TABLE OrleansMembershipVersionTable
(
    DeploymentId varchar(150)   NOT NULL,
    Timestamp    timestamptz(3) NOT NULL DEFAULT now(),
    Version      integer        NOT NULL DEFAULT 0,

    CONSTRAINT PK_OrleansMembershipVersionTable_DeploymentId PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port and generation identify it; a restarted silo gets a
-- new generation and therefore a new row).
CREATE TABLE OrleansMembershipTable
(
    DeploymentId varchar(150)   NOT NULL,
    Address      varchar(45)    NOT NULL,   -- long enough for any IPv6 text form
    Port         integer        NOT NULL,
    Generation   integer        NOT NULL,
    SiloName     varchar(150)   NOT NULL,
    HostName     varchar(150)   NOT NULL,
    Status       integer        NOT NULL,
    ProxyPort    integer        NULL,       -- gateway port; 0 when the silo is not a gateway
    SuspectTimes varchar(8000)  NULL,       -- "silo,time|silo,time" votes, formatted by Orleans
    StartTime    timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,

    CONSTRAINT PK_MembershipTable_DeploymentId PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_MembershipTable_MembershipVersionTable_DeploymentId
        FOREIGN KEY (DeploymentId) REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

-- Inserting a silo row: check-and-advance the version, then insert the row. If the row already
-- exists the version increment is undone, so the caller sees 0 and the table is unchanged.
--
-- The undo is an exception caught by the inner block (a PL/pgSQL sub-transaction). RAISE is used,
-- not ASSERT: ASSERT is a no-op when plpgsql.check_asserts is off, which would leave a version bump
-- behind with no row. "Version < 2147483647" turns an integer overflow into a refused write
-- instead of an error.
CREATE FUNCTION insert_membership(
    DeploymentIdArg varchar,
    AddressArg      varchar,
    PortArg         integer,
    GenerationArg   integer,
    SiloNameArg     varchar,
    HostNameArg     varchar,
    StatusArg       integer,
    ProxyPortArg    integer,
    StartTimeArg    timestamptz,
    IAmAliveTimeArg timestamptz,
    VersionArg      integer)
  RETURNS TABLE (row_count integer)
  LANGUAGE plpgsql
AS $func$
DECLARE
    RowCountVar integer := 0;
BEGIN
    BEGIN
        UPDATE OrleansMembershipVersionTable
        SET Timestamp = now(),
            Version   = Version + 1
        WHERE DeploymentId = DeploymentIdArg
          AND Version = VersionArg
          AND Version < 2147483647;

        GET DIAGNOSTICS RowCountVar = ROW_COUNT;

        IF RowCountVar > 0 THEN
            INSERT INTO OrleansMembershipTable
                (DeploymentId, Address, Port, Generation, SiloName, HostName,
                 Status, ProxyPort, StartTime, IAmAliveTime)
            VALUES
                (DeploymentIdArg, AddressArg, PortArg, GenerationArg, SiloNameArg, HostNameArg,
                 StatusArg, ProxyPortArg, StartTimeArg, IAmAliveTimeArg)
            ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING;

            GET DIAGNOSTICS RowCountVar = ROW_COUNT;

            IF RowCountVar = 0 THEN
                RAISE EXCEPTION 'membership row exists, undo the version increment'
                    USING ERRCODE = 'assert_failure';
            END IF;
        END IF;
    EXCEPTION
        WHEN assert_failure THEN
            RowCountVar := 0;
    END;

    RETURN QUERY SELECT RowCountVar;
END
$func$;

-- Updating a silo row (status changes and suspicion votes): check-and-advance the version, then
-- update the row; if the row is missing the version increment is undone (see insert_membership).
CREATE FUNCTION update_membership(
    DeploymentIdArg varchar,
    AddressArg      varchar,
    PortArg         integer,
    GenerationArg   integer,
    StatusArg       integer,
    SuspectTimesArg varchar,
    IAmAliveTimeArg timestamptz,
    VersionArg      integer)
  RETURNS TABLE (row_count integer)
  LANGUAGE plpgsql
AS $func$
DECLARE
    RowCountVar integer := 0;
BEGIN
    BEGIN
        UPDATE OrleansMembershipVersionTable
        SET Timestamp = now(),
            Version   = Version + 1
        WHERE DeploymentId = DeploymentIdArg
          AND Version = VersionArg
          AND Version < 2147483647;

        GET DIAGNOSTICS RowCountVar = ROW_COUNT;

        IF RowCountVar > 0 THEN
            UPDATE OrleansMembershipTable
            SET Status       = StatusArg,
                SuspectTimes = SuspectTimesArg,
                IAmAliveTime = IAmAliveTimeArg
            WHERE DeploymentId = DeploymentIdArg
              AND Address = AddressArg
              AND Port = PortArg
              AND Generation = GenerationArg;

            GET DIAGNOSTICS RowCountVar = ROW_COUNT;

            IF RowCountVar = 0 THEN
                RAISE EXCEPTION 'membership row missing, undo the version increment'
                    USING ERRCODE = 'assert_failure';
            END IF;
        END IF;
    EXCEPTION
        WHEN assert_failure THEN
            RowCountVar := 0;
    END;

    RETURN QUERY SELECT RowCountVar;
END
$func$;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
-- Heartbeat: a silo refreshes its own liveness time. A blind single-row write by primary key; it
-- never touches the version (heartbeats are not membership changes). Its result is not read.
('UpdateIAmAlivetimeKey', $q$
    UPDATE OrleansMembershipTable
    SET IAmAliveTime = @IAmAliveTime
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation;
$q$),

-- Creates the cluster's version row on first start. Returns 1 when created, 0 when it already
-- existed (both are fine for the provider; it only logs the first case).
('InsertMembershipVersionKey', $q$
    WITH created AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId)
        VALUES (@DeploymentId)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer AS row_count FROM created;
$q$),

('InsertMembershipKey', $q$
    SELECT * FROM insert_membership(
        @DeploymentId,
        @Address,
        @Port,
        @Generation,
        @SiloName,
        @HostName,
        @Status,
        @ProxyPort,
        @StartTime,
        @IAmAliveTime,
        @Version);
$q$),

('UpdateMembershipKey', $q$
    SELECT * FROM update_membership(
        @DeploymentId,
        @Address,
        @Port,
        @Generation,
        @Status,
        @SuspectTimes,
        @IAmAliveTime,
        @Version);
$q$),

-- One silo's row together with the cluster version, in one statement so both come from the same
-- snapshot. The outer join returns the version even when the silo has no row yet (the provider
-- then sees no member, only the version).
('MembershipReadRowKey', $q$
    SELECT
        v.DeploymentId,
        m.Address,
        m.Port,
        m.Generation,
        m.SiloName,
        m.HostName,
        m.Status,
        m.ProxyPort,
        m.SuspectTimes,
        m.StartTime,
        m.IAmAliveTime,
        v.Version
    FROM OrleansMembershipVersionTable v
    LEFT OUTER JOIN OrleansMembershipTable m
        ON v.DeploymentId = m.DeploymentId
       AND m.Address = @Address
       AND m.Port = @Port
       AND m.Generation = @Generation
    WHERE v.DeploymentId = @DeploymentId;
$q$),

-- The whole membership table of the cluster with the version, again from one snapshot.
('MembershipReadAllKey', $q$
    SELECT
        v.DeploymentId,
        m.Address,
        m.Port,
        m.Generation,
        m.SiloName,
        m.HostName,
        m.Status,
        m.ProxyPort,
        m.SuspectTimes,
        m.StartTime,
        m.IAmAliveTime,
        v.Version
    FROM OrleansMembershipVersionTable v
    LEFT OUTER JOIN OrleansMembershipTable m
        ON v.DeploymentId = m.DeploymentId
    WHERE v.DeploymentId = @DeploymentId;
$q$),

-- Removes a whole cluster (used by tests and tooling, not in normal operation). Rows first, then
-- the version row they reference.
('DeleteMembershipTableEntriesKey', $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable
    WHERE DeploymentId = @DeploymentId;
$q$),

-- Gateways a client may connect to. The provider passes @Status = 3 (Active).
('GatewaysQueryKey', $q$
    SELECT
        Address,
        ProxyPort,
        Generation
    FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = @Status
      AND ProxyPort > 0;
$q$),

-- Bulk clean-up of long-dead silos, older than @IAmAliveTime (the provider's cut-off). Required by
-- the provider at start-up, but 10.4.2 only runs it when CleanupDefunctSiloEntryKey is absent.
-- Only Dead rows (6) with no start, heartbeat or pending suspicion newer than the cut-off go:
-- a row in any other state, however old, may still matter to the membership protocol.
('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = 6
      AND IAmAliveTime < @IAmAliveTime
      AND StartTime < @IAmAliveTime
      AND COALESCE(SuspectTimes, '') = '';
$q$),

-- Per-row clean-up, preferred by 10.4.2 when present: the provider reads the table, picks Dead rows
-- whose start, heartbeat and suspicion times are all before its cut-off, and deletes each one only
-- if it still holds exactly the values it read (so a row changed meanwhile is left alone). It does
-- not touch the version: removing a dead silo is not a membership change.
('CleanupDefunctSiloEntryKey', $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation
      AND Status = 6
      AND StartTime = @StartTime
      AND IAmAliveTime = @IAmAliveTime
      AND COALESCE(SuspectTimes, '') = COALESCE(@SuspectTimes, '');
$q$);
