-- A settlement batch's claims and recoupments name their batch and claim without foreign keys,
-- as claims, lines, decisions and postings do (migrations 202612071000 and 202612071100): a
-- batch of 10,000 claims ran 20,000 foreign-key checks, each a trigger call, an index probe
-- and a row lock. One check per statement instead, and batches, like claims, are kept.
ALTER TABLE "settlement_batch_claims" DROP CONSTRAINT "settlement_batch_claims_batch_id_fkey";
ALTER TABLE "settlement_batch_claims" DROP CONSTRAINT "settlement_batch_claims_claim_id_fkey";
ALTER TABLE "settlement_batch_adjustments" DROP CONSTRAINT "settlement_batch_adjustments_batch_id_fkey";
ALTER TABLE "settlement_batch_adjustments" DROP CONSTRAINT "settlement_batch_adjustments_claim_id_fkey";

CREATE TRIGGER "settlement_batch_claims_references" AFTER INSERT ON "settlement_batch_claims"
    REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "inserted_rows_reference"('batch_id', 'settlement_batches', 'claim_id', 'claims');
CREATE TRIGGER "settlement_batch_adjustments_references" AFTER INSERT ON "settlement_batch_adjustments"
    REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "inserted_rows_reference"('batch_id', 'settlement_batches', 'claim_id', 'claims');

CREATE TRIGGER "settlement_batches_kept" BEFORE DELETE OR UPDATE OF "id" ON "settlement_batches"
    FOR EACH ROW EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "settlement_batches_no_truncate" BEFORE TRUNCATE ON "settlement_batches"
    FOR EACH STATEMENT EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "settlement_batch_claims_kept" BEFORE UPDATE OF "batch_id", "claim_id"
    ON "settlement_batch_claims" FOR EACH ROW EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "settlement_batch_adjustments_kept" BEFORE UPDATE OF "batch_id", "claim_id"
    ON "settlement_batch_adjustments" FOR EACH ROW EXECUTE FUNCTION "reject_identity_change"();
