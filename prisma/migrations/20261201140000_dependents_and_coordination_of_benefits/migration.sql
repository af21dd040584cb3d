-- Dependents, family accumulators and secondary claims (issue 10, item 1).
--
-- A member is a subscriber (relationship "18", self) or a dependent of one: spouse "01",
-- child "19", other "G8", as 837P SBR02/PAT01 code them. A dependent's patient_index is a keyed
-- hash (the PHI blind-index key) of its last name, first name and birth date as the 835 writes
-- names, so a claim naming the subscriber and the patient finds the dependent without anyone
-- decrypting members.
ALTER TABLE "members" ADD COLUMN "subscriber_member_id" UUID;
ALTER TABLE "members" ADD CONSTRAINT "members_subscriber_member_id_fkey"
    FOREIGN KEY ("subscriber_member_id") REFERENCES "members"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "members" ADD COLUMN "relationship_code" TEXT NOT NULL DEFAULT '18';
ALTER TABLE "members" ADD COLUMN "patient_index" CHAR(64);
ALTER TABLE "members" ADD CONSTRAINT "members_relationship_code_check"
    CHECK ("relationship_code" IN ('18', '01', '19', 'G8'));
-- A subscriber has no subscriber; a dependent has one and its patient index.
ALTER TABLE "members" ADD CONSTRAINT "members_dependent_check"
    CHECK (("relationship_code" = '18') = ("subscriber_member_id" IS NULL)
       AND ("subscriber_member_id" IS NULL OR "patient_index" IS NOT NULL));
CREATE INDEX "members_subscriber_member_id_patient_index_idx"
    ON "members"("subscriber_member_id", "patient_index");

-- Family limits of a plan (null: the plan has individual limits only) and how it coordinates
-- benefits when it is not the primary payer.
ALTER TABLE "plans" ADD COLUMN "family_deductible_amount" NUMERIC(14,2);
ALTER TABLE "plans" ADD COLUMN "family_out_of_pocket_max_amount" NUMERIC(14,2);
ALTER TABLE "plans" ADD COLUMN "cob_method" TEXT NOT NULL DEFAULT 'non_duplication';
ALTER TABLE "plans" ADD CONSTRAINT "plans_cob_method_check"
    CHECK ("cob_method" IN ('non_duplication', 'carve_out'));
ALTER TABLE "plans" ADD CONSTRAINT "plans_family_limits_check"
    CHECK (("family_deductible_amount" IS NULL OR "family_deductible_amount" >= "deductible_amount")
       AND ("family_out_of_pocket_max_amount" IS NULL
            OR "family_out_of_pocket_max_amount" >= "out_of_pocket_max_amount"));

-- What a family (a subscriber and its dependents) has met in a plan year, kept beside each
-- member's own accumulators and locked before them (claim, family, member: one lock order).
CREATE TABLE "family_accumulators" (
    "subscriber_member_id" UUID NOT NULL,
    "plan_id" UUID NOT NULL,
    "plan_year" TEXT NOT NULL,
    "deductible_met_amount" NUMERIC(14,2) NOT NULL,
    "out_of_pocket_met_amount" NUMERIC(14,2) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "family_accumulators_pkey" PRIMARY KEY ("subscriber_member_id", "plan_id", "plan_year"),
    CONSTRAINT "family_accumulators_amounts_check"
        CHECK ("deductible_met_amount" >= 0 AND "out_of_pocket_met_amount" >= 0)
);
ALTER TABLE "family_accumulators" ADD CONSTRAINT "family_accumulators_subscriber_member_id_fkey"
    FOREIGN KEY ("subscriber_member_id") REFERENCES "members"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "family_accumulators" ADD CONSTRAINT "family_accumulators_plan_id_fkey"
    FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A claim for a dependent carries the patient (encrypted like the member, and its index to find
-- the dependent); every claim its payer responsibility (SBR01: P primary, S secondary, T
-- tertiary) and, when not primary, the earlier payers' adjudication (no PHI: payer names and
-- ids, amounts, adjustment codes, dates).
ALTER TABLE "claims" ADD COLUMN "patient_ciphertext" TEXT;
ALTER TABLE "claims" ADD COLUMN "patient_index" CHAR(64);
ALTER TABLE "claims" ADD COLUMN "payer_responsibility_code" CHAR(1) NOT NULL DEFAULT 'P';
ALTER TABLE "claims" ADD COLUMN "prior_payers" JSONB;
ALTER TABLE "claims" ADD CONSTRAINT "claims_payer_responsibility_code_check"
    CHECK ("payer_responsibility_code" IN ('P', 'S', 'T'));
ALTER TABLE "claims" ADD CONSTRAINT "claims_patient_check"
    CHECK (("patient_ciphertext" IS NULL) = ("patient_index" IS NULL));
ALTER TABLE "claims" ADD CONSTRAINT "claims_prior_payers_check"
    CHECK (("payer_responsibility_code" = 'P') = ("prior_payers" IS NULL));
