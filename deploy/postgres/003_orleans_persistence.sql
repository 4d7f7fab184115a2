-- 003_orleans_persistence.sql
-- Grain state for Microsoft.Orleans.Persistence.AdoNet 10.4.2 (AddAdoNetGrainStorage), shared by
-- every ADO.NET storage provider configured on the silo (each row carries its own ServiceId and
-- grain type, so several named providers can use the same table).
--
-- Contract with the provider (checked against the 10.4.2 assembly, see README.md):
--   keys      WriteToStorageKey, ReadFromStorageKey, ClearStorageKey (required) and
--             DeleteStorageKey (needed only with DeleteStateOnClear = true; provided so that option
--             can be switched on without a schema change).
--   params    @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
--             @GrainIdExtensionString, @ServiceId, @GrainStateVersion, and @PayloadBinary on writes.
--             Since Orleans 7 the provider only writes the binary payload (its serializer decides the
--             format); the PayloadJson/PayloadXml columns of Orleans 3 are gone.
--   results   reads return PayloadBinary and Version (by name); writes return NewGrainStateVersion;
--             clear and delete return the new version in their first column.
--
-- Optimistic concurrency: Version is the grain's ETag. A write or clear only succeeds if the caller
-- presents the stored version; it then increments it. When nothing was written the provider gets
-- back the version it sent (or nothing) and raises InconsistentStateException.
--
-- Keys: a grain is identified by its type string, its id (two 64-bit halves plus an optional string
-- extension) and the ServiceId. Those are too wide to index cheaply, so Orleans hashes the id and the
-- type into two integers; the index is on the hashes and the full values resolve collisions.
CREATE TABLE OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,     -- string part of the key; NULL for purely numeric keys
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,     -- NULL after a clear: state reads back as default
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),  -- informational only
    Version                integer      NULL
);

CREATE INDEX IX_OrleansStorage ON OrleansStorage (GrainIdHash, GrainTypeHash);

-- Writes a grain's state. Returns the new version on success, and the version the caller sent
-- (NULL for a first write) when the write was refused.
--
--   * Known version: update the row only if it still holds that version.
--   * No version (first write of this grain): insert only if no row exists. Two activations of the
--     same grain can briefly coexist after a silo failure; without a guard both could pass the
--     NOT EXISTS test at once and insert two rows, and every later read of that grain would fail.
--     A transaction-scoped advisory lock on the two hashes serialises first writes of a grain (and
--     of rare hash collisions, harmlessly); the loser then sees the winner's row and is refused.
--     The lock is taken on first writes only; updates are already serialised by the row lock.
--     (The two-int4 advisory key space never collides with single-bigint advisory keys.)
CREATE FUNCTION writetostorage(
    _GrainIdHash            integer,
    _GrainIdN0              bigint,
    _GrainIdN1              bigint,
    _GrainTypeHash          integer,
    _GrainTypeString        varchar,
    _GrainIdExtensionString varchar,
    _ServiceId              varchar,
    _GrainStateVersion      integer,
    _PayloadBinary          bytea)
  RETURNS TABLE (NewGrainStateVersion integer)
  LANGUAGE plpgsql
AS $func$
DECLARE
    _NewGrainStateVersion integer := _GrainStateVersion;
    RowCountVar           integer := 0;
BEGIN
    IF _GrainStateVersion IS NOT NULL THEN
        UPDATE OrleansStorage
        SET PayloadBinary = _PayloadBinary,
            ModifiedOn    = now(),
            Version       = Version + 1
        WHERE GrainIdHash = _GrainIdHash
          AND GrainTypeHash = _GrainTypeHash
          AND GrainIdN0 = _GrainIdN0
          AND GrainIdN1 = _GrainIdN1
          AND GrainTypeString = _GrainTypeString
          AND GrainIdExtensionString IS NOT DISTINCT FROM _GrainIdExtensionString
          AND ServiceId = _ServiceId
          AND Version = _GrainStateVersion;

        GET DIAGNOSTICS RowCountVar = ROW_COUNT;
        IF RowCountVar > 0 THEN
            _NewGrainStateVersion := _GrainStateVersion + 1;
        END IF;
    ELSE
        PERFORM pg_advisory_xact_lock(_GrainIdHash, _GrainTypeHash);

        -- A new statement, so under READ COMMITTED it sees a row committed by a writer that held
        -- the lock before us.
        INSERT INTO OrleansStorage
            (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
             GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
        SELECT
            _GrainIdHash, _GrainIdN0, _GrainIdN1, _GrainTypeHash, _GrainTypeString,
            _GrainIdExtensionString, _ServiceId, _PayloadBinary, now(), 1
        WHERE NOT EXISTS (
            SELECT 1
            FROM OrleansStorage
            WHERE GrainIdHash = _GrainIdHash
              AND GrainTypeHash = _GrainTypeHash
              AND GrainIdN0 = _GrainIdN0
              AND GrainIdN1 = _GrainIdN1
              AND GrainTypeString = _GrainTypeString
              AND GrainIdExtensionString IS NOT DISTINCT FROM _GrainIdExtensionString
              AND ServiceId = _ServiceId);

        GET DIAGNOSTICS RowCountVar = ROW_COUNT;
        IF RowCountVar > 0 THEN
            _NewGrainStateVersion := 1;
        END IF;
    END IF;

    RETURN QUERY SELECT _NewGrainStateVersion;
END
$func$;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
('WriteToStorageKey', $q$
    SELECT * FROM writetostorage(
        @GrainIdHash,
        @GrainIdN0,
        @GrainIdN1,
        @GrainTypeHash,
        @GrainTypeString,
        @GrainIdExtensionString,
        @ServiceId,
        @GrainStateVersion,
        @PayloadBinary);
$q$),

-- PayloadBinary comes before Version on purpose: the provider may read the row with sequential
-- access, which requires columns to be read in order, and it reads the payload first.
-- No row means the grain was never written: the provider starts from default state.
('ReadFromStorageKey', $q$
    SELECT
        PayloadBinary,
        Version
    FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND ServiceId = @ServiceId;
$q$),

-- ClearStateAsync with DeleteStateOnClear = false (the default): keep the row, drop the payload and
-- advance the version, so a stale activation cannot resurrect the old state.
('ClearStorageKey', $q$
    UPDATE OrleansStorage
    SET PayloadBinary = NULL,
        ModifiedOn    = now(),
        Version       = Version + 1
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND ServiceId = @ServiceId
      AND Version = @GrainStateVersion
    RETURNING Version AS NewGrainStateVersion;
$q$),

-- ClearStateAsync with DeleteStateOnClear = true: remove the row, under the same version check.
-- Returns the version the row would have had next, so the provider sees a version that differs from
-- the one it sent and knows the delete happened.
('DeleteStorageKey', $q$
    DELETE FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND ServiceId = @ServiceId
      AND Version = @GrainStateVersion
    RETURNING Version + 1 AS NewGrainStateVersion;
$q$);
