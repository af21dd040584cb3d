-- Reconciliation: each run recomputes balances from the journal's postings and from the
-- ledger's events, checks batches against their claims and confirmations against batches,
-- and verifies the chain. A run and what it found are kept for finance to read.

CREATE TABLE "reconciliation_runs" (
    "id" UUID NOT NULL,
    "trigger" TEXT NOT NULL,
    "requested_by_key_id" UUID,
    "status" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),
    -- The last ledger event the run's snapshot held.
    "through_seq" BIGINT,
    "summary" JSONB,
    "exception_count" INTEGER NOT NULL DEFAULT 0,
    "failure" TEXT,
    CONSTRAINT "reconciliation_runs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "reconciliation_runs_trigger_check" CHECK ("trigger" IN ('schedule', 'request')),
    CONSTRAINT "reconciliation_runs_status_check"
        CHECK ("status" IN ('running', 'completed', 'failed', 'abandoned'))
);
CREATE INDEX "reconciliation_runs_started_at_idx" ON "reconciliation_runs"("started_at");

CREATE TABLE "reconciliation_exceptions" (
    "run_id" UUID NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "check" TEXT NOT NULL,
    "subject_type" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    -- The organizations the exception concerns; NULL: all of them (the chain).
    "party_org_ids" UUID[],
    "expected" TEXT,
    "actual" TEXT,
    "message" TEXT NOT NULL,
    CONSTRAINT "reconciliation_exceptions_pkey" PRIMARY KEY ("run_id", "ordinal")
);
ALTER TABLE "reconciliation_exceptions" ADD CONSTRAINT "reconciliation_exceptions_run_id_fkey"
    FOREIGN KEY ("run_id") REFERENCES "reconciliation_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
