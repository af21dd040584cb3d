-- What providers owe back: a claim that a batch paid and that a void or replacement then
-- reversed, until a batch nets it. The reversal writes the row in its own transaction
-- (settlement's recordReversal); the batch that nets it deletes it and keeps its
-- settlement_batch_adjustments row, the record. Before this table, each batch of a pair read
-- every reversed claim of the pair's history (claims_reversed_idx) and sent their ids back to
-- PostgreSQL to join them with the batches and the ledger: work that grew with the history.
CREATE TABLE "settlement_recoupments_due" (
    "claim_id" UUID NOT NULL,
    "payer_org_id" UUID NOT NULL,
    "provider_org_id" UUID NOT NULL,
    "reversal_event_id" UUID NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "settlement_recoupments_due_pkey" PRIMARY KEY ("claim_id"),
    CONSTRAINT "settlement_recoupments_due_amount_positive" CHECK ("amount" > 0)
);

CREATE INDEX "settlement_recoupments_due_payer_org_id_provider_org_id_claim_id_idx"
    ON "settlement_recoupments_due"("payer_org_id", "provider_org_id", "claim_id");

-- backfill: the recoupments owed when this migration runs, as the batches read them until now
-- (a reversal with money to recoup, of a claim in a batch, that no batch has netted).
INSERT INTO "settlement_recoupments_due"
    ("claim_id", "payer_org_id", "provider_org_id", "reversal_event_id", "amount")
SELECT c."id", c."payer_org_id", c."provider_org_id", e."id",
       (e."payload"->>'recoupmentAmount')::numeric
  FROM "claims" c
  JOIN "settlement_batch_claims" bc ON bc."claim_id" = c."id"
  JOIN "ledger_events" e ON e."aggregate_id" = c."id"::text AND e."type" = 'ClaimReversed'
 WHERE c."status" IN ('voided', 'replaced')
   AND (e."payload"->>'recoupmentAmount')::numeric > 0
   AND NOT EXISTS (
       SELECT 1 FROM "settlement_batch_adjustments" a WHERE a."claim_id" = c."id");
-- end of backfill

DROP INDEX "claims_reversed_idx";
