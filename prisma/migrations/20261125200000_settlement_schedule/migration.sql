-- Each payer's settlement cadence. The worker ticks every SETTLEMENT_INTERVAL_MS and settles a
-- payer when its own interval has passed since its last run (no interval set: every tick).
-- last_run_at is kept for every payer that has run, whether by schedule or by finance.
CREATE TABLE "payer_settlement_schedules" (
    "payer_org_id" UUID NOT NULL,
    "interval_minutes" INTEGER,
    "last_run_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "payer_settlement_schedules_pkey" PRIMARY KEY ("payer_org_id"),
    -- From a minute to 31 days (a monthly cycle).
    CONSTRAINT "payer_settlement_schedules_interval_check"
        CHECK ("interval_minutes" BETWEEN 1 AND 44640)
);
ALTER TABLE "payer_settlement_schedules" ADD CONSTRAINT "payer_settlement_schedules_payer_org_id_fkey"
    FOREIGN KEY ("payer_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
