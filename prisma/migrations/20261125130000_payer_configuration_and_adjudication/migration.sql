-- Payer configuration (plans, members and coverage, fee schedules, prior authorizations,
-- payer rules), member accumulators, and adjudication decisions. Configuration rows carry a
-- version that every change increments; each change is also a ledger event, so a decision
-- names the versions it used and can always be explained.

CREATE TABLE "plans" (
    "id" UUID NOT NULL,
    "payer_org_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "deductible_amount" DECIMAL(14,2) NOT NULL,
    "out_of_pocket_max_amount" DECIMAL(14,2) NOT NULL,
    "copay_amount" DECIMAL(14,2) NOT NULL,
    "coinsurance_percent" DECIMAL(7,4) NOT NULL,
    "plan_year_start_month" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "plans_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "plans_amounts_check" CHECK ("deductible_amount" >= 0 AND "out_of_pocket_max_amount" >= 0 AND "copay_amount" >= 0),
    CONSTRAINT "plans_coinsurance_check" CHECK ("coinsurance_percent" BETWEEN 0 AND 100),
    CONSTRAINT "plans_year_start_check" CHECK ("plan_year_start_month" BETWEEN 1 AND 12),
    CONSTRAINT "plans_version_check" CHECK ("version" >= 1)
);
CREATE UNIQUE INDEX "plans_payer_org_id_code_key" ON "plans"("payer_org_id", "code");
ALTER TABLE "plans" ADD CONSTRAINT "plans_payer_org_id_fkey"
    FOREIGN KEY ("payer_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A member of a payer, found by the blind index of the member id (the same index claims carry).
CREATE TABLE "members" (
    "id" UUID NOT NULL,
    "payer_org_id" UUID NOT NULL,
    "member_id_index" CHAR(64) NOT NULL,
    "member_ciphertext" TEXT NOT NULL,
    "phi_key_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "members_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "members_payer_org_id_member_id_index_key" ON "members"("payer_org_id", "member_id_index");
ALTER TABLE "members" ADD CONSTRAINT "members_payer_org_id_fkey"
    FOREIGN KEY ("payer_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "coverages" (
    "id" UUID NOT NULL,
    "member_id" UUID NOT NULL,
    "plan_id" UUID NOT NULL,
    "effective_from" DATE NOT NULL,
    "effective_to" DATE,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "coverages_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "coverages_dates_check" CHECK ("effective_to" IS NULL OR "effective_to" >= "effective_from")
);
CREATE INDEX "coverages_member_id_idx" ON "coverages"("member_id");
ALTER TABLE "coverages" ADD CONSTRAINT "coverages_member_id_fkey"
    FOREIGN KEY ("member_id") REFERENCES "members"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "coverages" ADD CONSTRAINT "coverages_plan_id_fkey"
    FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- One fee schedule per payer; modifier '' means "any modifier".
CREATE TABLE "fee_schedule_entries" (
    "payer_org_id" UUID NOT NULL,
    "procedure_code" TEXT NOT NULL,
    "modifier" TEXT NOT NULL,
    "allowed_amount" DECIMAL(14,2) NOT NULL,
    "covered" BOOLEAN NOT NULL,
    "prior_auth_required" BOOLEAN NOT NULL,
    "copay_applies" BOOLEAN NOT NULL,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "fee_schedule_entries_pkey" PRIMARY KEY ("payer_org_id", "procedure_code", "modifier"),
    CONSTRAINT "fee_schedule_entries_allowed_check" CHECK ("allowed_amount" >= 0)
);
ALTER TABLE "fee_schedule_entries" ADD CONSTRAINT "fee_schedule_entries_payer_org_id_fkey"
    FOREIGN KEY ("payer_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "prior_authorizations" (
    "id" UUID NOT NULL,
    "payer_org_id" UUID NOT NULL,
    "member_id" UUID NOT NULL,
    "provider_org_id" UUID NOT NULL,
    "procedure_code" TEXT NOT NULL,
    "units_authorized" INTEGER NOT NULL,
    "units_used" INTEGER NOT NULL,
    "valid_from" DATE NOT NULL,
    "valid_to" DATE NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "prior_authorizations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "prior_authorizations_units_check" CHECK ("units_used" >= 0 AND "units_used" <= "units_authorized"),
    CONSTRAINT "prior_authorizations_dates_check" CHECK ("valid_to" >= "valid_from")
);
CREATE INDEX "prior_authorizations_member_id_idx" ON "prior_authorizations"("member_id");
ALTER TABLE "prior_authorizations" ADD CONSTRAINT "prior_authorizations_member_id_fkey"
    FOREIGN KEY ("member_id") REFERENCES "members"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "payer_rules" (
    "payer_org_id" UUID NOT NULL,
    "timely_filing_days" INTEGER NOT NULL,
    "auto_adjudication_limit_amount" DECIMAL(14,2) NOT NULL,
    "pend_unknown_codes" BOOLEAN NOT NULL,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "payer_rules_pkey" PRIMARY KEY ("payer_org_id"),
    CONSTRAINT "payer_rules_timely_filing_check" CHECK ("timely_filing_days" BETWEEN 1 AND 3650)
);
ALTER TABLE "payer_rules" ADD CONSTRAINT "payer_rules_payer_org_id_fkey"
    FOREIGN KEY ("payer_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A member's earlier claims with a provider (duplicate detection) by the member's blind index.
CREATE INDEX "claims_payer_org_id_member_id_index_idx" ON "claims"("payer_org_id", "member_id_index");

-- Deductible and out-of-pocket met per member, plan and plan year; updated under a row lock.
CREATE TABLE "accumulators" (
    "member_id" UUID NOT NULL,
    "plan_id" UUID NOT NULL,
    "plan_year" TEXT NOT NULL,
    "deductible_met_amount" DECIMAL(14,2) NOT NULL,
    "out_of_pocket_met_amount" DECIMAL(14,2) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "accumulators_pkey" PRIMARY KEY ("member_id", "plan_id", "plan_year"),
    CONSTRAINT "accumulators_amounts_check" CHECK ("deductible_met_amount" >= 0 AND "out_of_pocket_met_amount" >= 0)
);

-- The decision on a claim (automatic or by a person), with the engine's full result.
CREATE TABLE "claim_decisions" (
    "id" UUID NOT NULL,
    "claim_id" UUID NOT NULL,
    "decided_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_by" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "paid_amount" DECIMAL(14,2) NOT NULL,
    "patient_responsibility_amount" DECIMAL(14,2) NOT NULL,
    "result" JSONB NOT NULL,
    "config_versions" JSONB NOT NULL,
    "ledger_event_id" UUID NOT NULL,
    "note" TEXT,
    CONSTRAINT "claim_decisions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "claim_decisions_status_check" CHECK ("status" IN ('pended', 'paid', 'partially_paid', 'denied'))
);
CREATE INDEX "claim_decisions_claim_id_idx" ON "claim_decisions"("claim_id");
ALTER TABLE "claim_decisions" ADD CONSTRAINT "claim_decisions_claim_id_fkey"
    FOREIGN KEY ("claim_id") REFERENCES "claims"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
