-- A negative net (recoupments larger than new payments) is carried forward as a
-- provider-level adjustment, as an 835 does with PLB "FB": the batch pays 0.00 and records
-- what the provider now owes (a positive balance_forward_amount); a later batch recovers it
-- (a negative one). What a provider owes at any time is the sum over its batches, so
-- amount = claim lines + recoupments + balance_forward_amount, and amount is never negative.
ALTER TABLE "settlement_batches"
    ADD COLUMN "balance_forward_amount" DECIMAL(14,2) NOT NULL DEFAULT 0;
