-- The claims' foreign keys checked each row alone: a trigger call, an index probe and a row lock
-- (FOR KEY SHARE, on the same two organization rows by every intake at once) per row. For a batch
-- of 1,000 claims of two lines that was 35-48 ms of a 90-120 ms insert (auto_explain:
-- provider and payer 5-16 ms each for 1,000 calls, the lines' claim 15-23 ms for 2,000), and a
-- decision's claim 5 ms for 500. As for the journal's postings (202612071000), each statement
-- now checks once that every organization or claim its rows name exists, one index probe per
-- distinct key, and what it found cannot go away: organizations and claims refuse DELETE,
-- TRUNCATE and a change of id, and the columns that name them refuse to change.
ALTER TABLE "claims" DROP CONSTRAINT "claims_provider_org_id_fkey";
ALTER TABLE "claims" DROP CONSTRAINT "claims_payer_org_id_fkey";
ALTER TABLE "claim_lines" DROP CONSTRAINT "claim_lines_claim_id_fkey";
ALTER TABLE "claim_decisions" DROP CONSTRAINT "claim_decisions_claim_id_fkey";

-- Arguments: pairs of (column of the inserted rows, table whose "id" it names).
CREATE FUNCTION "inserted_rows_reference"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    FOR pair IN 0 .. TG_NARGS / 2 - 1 LOOP
        EXECUTE format(
            'SELECT k.key::text FROM (SELECT DISTINCT %1$I AS key FROM "inserted_rows") k
              WHERE k.key IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM %2$I r WHERE r."id" = k.key)
              LIMIT 1',
            TG_ARGV[pair * 2], TG_ARGV[pair * 2 + 1]) INTO missing;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%.% names no row of %: %',
                TG_TABLE_NAME, TG_ARGV[pair * 2], TG_ARGV[pair * 2 + 1], missing
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;
CREATE TRIGGER "claims_references" AFTER INSERT ON "claims"
    REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "inserted_rows_reference"('provider_org_id', 'organizations', 'payer_org_id', 'organizations');
CREATE TRIGGER "claim_lines_references" AFTER INSERT ON "claim_lines"
    REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "inserted_rows_reference"('claim_id', 'claims');
CREATE TRIGGER "claim_decisions_references" AFTER INSERT ON "claim_decisions"
    REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "inserted_rows_reference"('claim_id', 'claims');

CREATE FUNCTION "reject_identity_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept and what names them never changes: % rejected',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "organizations_kept" BEFORE DELETE OR UPDATE OF "id" ON "organizations"
    FOR EACH ROW EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "organizations_no_truncate" BEFORE TRUNCATE ON "organizations"
    FOR EACH STATEMENT EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "claims_kept" BEFORE DELETE
    OR UPDATE OF "id", "provider_org_id", "payer_org_id" ON "claims"
    FOR EACH ROW EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "claims_no_truncate" BEFORE TRUNCATE ON "claims"
    FOR EACH STATEMENT EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "claim_lines_kept" BEFORE UPDATE OF "claim_id" ON "claim_lines"
    FOR EACH ROW EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "claim_decisions_kept" BEFORE UPDATE OF "claim_id" ON "claim_decisions"
    FOR EACH ROW EXECUTE FUNCTION "reject_identity_change"();
