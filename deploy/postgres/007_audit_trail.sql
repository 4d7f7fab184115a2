-- 007_audit_trail.sql
-- The audit trail: every read, write and denial of a person's data, append-only and hash-chained
-- (see src/Grains/Audit/AuditRecord.cs). One row per access; ids only, never the data itself.
CREATE TABLE cc_audit (
    sequence      bigint      PRIMARY KEY,
    at            timestamptz NOT NULL,
    actor         text        NOT NULL,
    on_behalf_of  text,
    organisation  text        NOT NULL,
    roles         text        NOT NULL,
    action        text        NOT NULL,
    object_kind   text        NOT NULL,
    object_id     text        NOT NULL,
    client_id     text,
    purpose       text        NOT NULL,
    outcome       text        NOT NULL,
    trace_id      text        NOT NULL,
    previous_hash text        NOT NULL,
    hash          text        NOT NULL
);
CREATE INDEX cc_audit_client ON cc_audit (client_id, sequence) WHERE client_id IS NOT NULL;

-- Append-only for the service's own role: rows are never updated or deleted through it. (A database owner can
-- still drop this trigger; the hash chain is what shows that a row was changed.)
CREATE FUNCTION cc_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cc_audit is append-only';
END;
$$;
CREATE TRIGGER cc_audit_append_only BEFORE UPDATE OR DELETE ON cc_audit
    FOR EACH ROW EXECUTE FUNCTION cc_audit_append_only();
