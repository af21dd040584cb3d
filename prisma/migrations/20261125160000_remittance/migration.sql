-- The 835 remittance of a batch. Its interchange, group and transaction set control numbers
-- (ISA13, GS06, ST02) come from the batch's own number, taken from a sequence when the batch is
-- written: unique across every interchange we send, and the same each time the batch's 835 is
-- fetched again. ISA13 has nine digits, so the sequence stops (never wraps) at 999999999.
ALTER TABLE "settlement_batches" ADD COLUMN "remittance_control_number" SERIAL NOT NULL;
ALTER SEQUENCE "settlement_batches_remittance_control_number_seq" MAXVALUE 999999999 NO CYCLE;
ALTER TABLE "settlement_batches" ADD CONSTRAINT "settlement_batches_remittance_control_number_check"
    CHECK ("remittance_control_number" BETWEEN 1 AND 999999999);
CREATE UNIQUE INDEX "settlement_batches_remittance_control_number_key"
    ON "settlement_batches"("remittance_control_number");
