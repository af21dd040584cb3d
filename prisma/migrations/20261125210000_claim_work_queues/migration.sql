-- The claims the workers look for, as partial indexes, so finding them costs what is waiting,
-- not every claim ever stored: the adjudication sweep reads submitted claims oldest first, and
-- settlement reads each payer's decided claims not yet in a batch (a claim leaves both indexes
-- when its status moves on). schema.prisma cannot declare partial indexes; the schema test
-- leaves them out of its comparison.
CREATE INDEX "claims_submitted_queue_idx" ON "claims"("submitted_at", "id")
    WHERE "status" = 'submitted';
CREATE INDEX "claims_payable_queue_idx" ON "claims"("payer_org_id", "provider_org_id")
    WHERE "status" IN ('paid', 'partially_paid', 'denied');
-- Reversed claims, whose recoupment a later batch may still owe.
CREATE INDEX "claims_reversed_idx" ON "claims"("payer_org_id", "provider_org_id")
    WHERE "status" IN ('voided', 'replaced');
