-- Settlement: payment batches per payer and provider. A claim is paid in exactly one batch
-- (settlement_batch_claims.claim_id is unique); money already paid on a claim that is later
-- reversed is recouped once, as a negative line of a later batch of the same pair
-- (settlement_batch_adjustments.claim_id is unique).

CREATE TABLE "settlement_batches" (
    "id" UUID NOT NULL,
    "payer_org_id" UUID NOT NULL,
    "provider_org_id" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "claim_count" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "ledger_event_id" UUID NOT NULL,
    "trace_number" TEXT,
    "confirmed_amount" DECIMAL(14,2),
    "confirmed_date" DATE,
    CONSTRAINT "settlement_batches_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "settlement_batches_status_check" CHECK ("status" IN ('issued', 'confirmed', 'exception')),
    -- A negative net is never issued: it carries forward to the next run.
    CONSTRAINT "settlement_batches_amount_check" CHECK ("amount" >= 0)
);
CREATE UNIQUE INDEX "settlement_batches_trace_number_key" ON "settlement_batches"("trace_number");
CREATE INDEX "settlement_batches_payer_org_id_created_at_idx"
    ON "settlement_batches"("payer_org_id", "created_at");
CREATE INDEX "settlement_batches_provider_org_id_created_at_idx"
    ON "settlement_batches"("provider_org_id", "created_at");

CREATE TABLE "settlement_batch_claims" (
    "batch_id" UUID NOT NULL,
    "claim_id" UUID NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    CONSTRAINT "settlement_batch_claims_pkey" PRIMARY KEY ("batch_id", "claim_id")
);
CREATE UNIQUE INDEX "settlement_batch_claims_claim_id_key" ON "settlement_batch_claims"("claim_id");
ALTER TABLE "settlement_batch_claims" ADD CONSTRAINT "settlement_batch_claims_batch_id_fkey"
    FOREIGN KEY ("batch_id") REFERENCES "settlement_batches"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "settlement_batch_claims" ADD CONSTRAINT "settlement_batch_claims_claim_id_fkey"
    FOREIGN KEY ("claim_id") REFERENCES "claims"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "settlement_batch_adjustments" (
    "batch_id" UUID NOT NULL,
    "claim_id" UUID NOT NULL,
    "reversal_event_id" UUID NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    CONSTRAINT "settlement_batch_adjustments_pkey" PRIMARY KEY ("batch_id", "claim_id"),
    CONSTRAINT "settlement_batch_adjustments_amount_check" CHECK ("amount" < 0)
);
CREATE UNIQUE INDEX "settlement_batch_adjustments_claim_id_key"
    ON "settlement_batch_adjustments"("claim_id");
ALTER TABLE "settlement_batch_adjustments" ADD CONSTRAINT "settlement_batch_adjustments_batch_id_fkey"
    FOREIGN KEY ("batch_id") REFERENCES "settlement_batches"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "settlement_batch_adjustments" ADD CONSTRAINT "settlement_batch_adjustments_claim_id_fkey"
    FOREIGN KEY ("claim_id") REFERENCES "claims"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Money on its way to the provider, and money the payment confirmed as paid.
ALTER TABLE "accounts" DROP CONSTRAINT "accounts_purpose_check",
    ADD CONSTRAINT "accounts_purpose_check" CHECK ("purpose" IN (
        'claims_expense', 'payable_to_provider', 'receivable_from_payer',
        'receivable_from_patients', 'patient_service_revenue',
        'payments_in_transit', 'settled_payments'));
