-- 004_orleans_reminders.sql
-- Durable reminders for Microsoft.Orleans.Reminders.AdoNet 10.4.2 (UseAdoNetReminderService).
--
-- Contract with the provider (checked against the 10.4.2 assembly, see README.md):
--   keys      UpsertReminderRowKey, ReadReminderRowsKey, ReadReminderRowKey, ReadRangeRows1Key,
--             ReadRangeRows2Key, DeleteReminderRowKey, DeleteReminderRowsKey (all required).
--   params    @ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, @BeginHash,
--             @EndHash, @Version.
--   results   reads return GrainId, ReminderName, StartTime, Period, Version (by name); the upsert
--             returns the new Version; the single delete returns one column, > 0 when a row went.
--
-- This is the classic reminder table. The cron/priority columns seen in newer Orleans sources belong
-- to the separate "advanced reminders" provider, which this service does not use; the 10.4.2
-- reminder provider neither sends nor reads them.
--
-- Period is in milliseconds. It is bigint because the provider sends it as a 32-bit integer when it
-- fits and as a 64-bit one when it does not (periods longer than about 24.8 days).
-- GrainHash is the grain's uniform hash stored as a signed integer; the reminder service asks each
-- silo for the reminders in its slice of the hash ring with the two range queries below.
CREATE TABLE OrleansRemindersTable
(
    ServiceId    varchar(150)   NOT NULL,
    GrainId      varchar(150)   NOT NULL,   -- GrainId.ToString(): "type/key"
    ReminderName varchar(150)   NOT NULL,
    StartTime    timestamptz(3) NOT NULL,
    Period       bigint         NOT NULL,
    GrainHash    integer        NOT NULL,
    Version      integer        NOT NULL,   -- the reminder's ETag

    CONSTRAINT PK_RemindersTable_ServiceId_GrainId_ReminderName
        PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

-- Every silo periodically reads its hash range; without this the range reads scan the service's rows.
CREATE INDEX IX_RemindersTable_ServiceId_GrainHash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
-- Registers or re-registers a reminder. A new reminder starts at version 0; re-registering replaces
-- its schedule and advances the version. Returns the stored version (read by name "Version").
('UpsertReminderRowKey', $q$
    INSERT INTO OrleansRemindersTable
        (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period::bigint, @GrainHash, 0)
    ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
    SET StartTime = excluded.StartTime,
        Period    = excluded.Period,
        GrainHash = excluded.GrainHash,
        Version   = OrleansRemindersTable.Version + 1
    RETURNING Version;
$q$),

-- All reminders of one grain.
('ReadReminderRowsKey', $q$
    SELECT
        GrainId,
        ReminderName,
        StartTime,
        Period,
        Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId;
$q$),

-- One reminder of one grain.
('ReadReminderRowKey', $q$
    SELECT
        GrainId,
        ReminderName,
        StartTime,
        Period,
        Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId
      AND ReminderName = @ReminderName;
$q$),

-- Reminders in the hash range (BeginHash, EndHash] when it does not wrap around (the provider picks
-- this query when BeginHash < EndHash in signed order).
('ReadRangeRows1Key', $q$
    SELECT
        GrainId,
        ReminderName,
        StartTime,
        Period,
        Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainHash > @BeginHash
      AND GrainHash <= @EndHash;
$q$),

-- Reminders in a range that wraps around the end of the ring: above BeginHash or up to EndHash.
('ReadRangeRows2Key', $q$
    SELECT
        GrainId,
        ReminderName,
        StartTime,
        Period,
        Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
$q$),

-- Unregisters one reminder if the caller still holds its current version. Returns the number of
-- rows deleted (1 = done, 0 = missing or changed meanwhile).
('DeleteReminderRowKey', $q$
    WITH deleted AS (
        DELETE FROM OrleansRemindersTable
        WHERE ServiceId = @ServiceId
          AND GrainId = @GrainId
          AND ReminderName = @ReminderName
          AND Version = @Version
        RETURNING 1
    )
    SELECT count(*)::integer AS row_count FROM deleted;
$q$),

-- Removes every reminder of the service (used by tests and tooling).
('DeleteReminderRowsKey', $q$
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId;
$q$);
