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

-- inserted_rows_reference and reject_identity_change: migration 202612071000.
CREATE TRIGGER "claims_references" AFTER INSERT ON "claims"
    REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "inserted_rows_reference"('provider_org_id', 'organizations', 'payer_org_id', 'organizations');
CREATE TRIGGER "claim_lines_references" AFTER INSERT ON "claim_lines"
    REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "inserted_rows_reference"('claim_id', 'claims');
CREATE TRIGGER "claim_decisions_references" AFTER INSERT ON "claim_decisions"
    REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "inserted_rows_reference"('claim_id', 'claims');

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
