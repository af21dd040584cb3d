-- The jsonb payload that queries read becomes what PostgreSQL parses from the hashed text itself
-- (a stored generated column), so it cannot say anything else: no UPDATE can set it, and every
-- INSERT, COPY or UPDATE of the text recomputes it. Verification then needs no per-event jsonb
-- comparison while the column is generated so (it checks the catalog once per run; a column whose
-- expression was dropped is compared event by event, as before). Events appended before the
-- hashed text was kept keep their jsonb in payload_legacy, which verification re-serializes.
--
-- A ledger whose jsonb already says something other than its hashed text must not be healed
-- silently by the rewrite: the migration stops and names the first such event.
DO $$
DECLARE
    changed bigint;
BEGIN
    SELECT seq INTO changed FROM "ledger_events"
     WHERE "payload_canonical" IS NOT NULL AND "payload" <> "payload_canonical"::jsonb
     ORDER BY seq LIMIT 1;
    IF changed IS NOT NULL THEN
        RAISE EXCEPTION 'ledger event seq %: its payload JSON differs from the text that was hashed; run verify and restore the ledger before migrating', changed;
    END IF;
END $$;

ALTER TABLE "ledger_events" RENAME COLUMN "payload" TO "payload_legacy";
ALTER TABLE "ledger_events" ALTER COLUMN "payload_legacy" DROP NOT NULL;
-- A table rewrite, not an UPDATE: the append-only triggers are not involved.
ALTER TABLE "ledger_events" ALTER COLUMN "payload_legacy" TYPE JSONB
    USING CASE WHEN "payload_canonical" IS NULL THEN "payload_legacy" END;
ALTER TABLE "ledger_events"
    ADD COLUMN "payload" JSONB NOT NULL
        GENERATED ALWAYS AS (COALESCE("payload_canonical"::jsonb, "payload_legacy")) STORED,
    ADD CONSTRAINT "ledger_events_payload_source_check"
        CHECK (("payload_canonical" IS NULL) <> ("payload_legacy" IS NULL));
