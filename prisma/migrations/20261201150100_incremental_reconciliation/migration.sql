-- Incremental reconciliation. A run that finds nothing wrong leaves a checkpoint: the ledger
-- seq and chain block it covered, the balances the ledger's money events gave through that
-- seq, each account's postings total through it, and how many journal entries and batches
-- existed. The next incremental run starts from there and checks only what came after; a
-- full run checks everything again.
ALTER TABLE "reconciliation_runs" ADD COLUMN "mode" TEXT NOT NULL DEFAULT 'full'
    CONSTRAINT "reconciliation_runs_mode_check" CHECK ("mode" IN ('full', 'incremental'));

CREATE TABLE "reconciliation_checkpoints" (
    "run_id" UUID NOT NULL,
    "through_seq" BIGINT NOT NULL,
    "chain_height" INTEGER NOT NULL,
    "chain_hash" CHAR(64) NOT NULL,
    "chain_last_seq" BIGINT NOT NULL,
    "ledger_balances" JSONB NOT NULL,
    "postings_totals" JSONB NOT NULL,
    "journal_entry_count" BIGINT NOT NULL,
    "batch_count" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "reconciliation_checkpoints_pkey" PRIMARY KEY ("run_id"),
    CONSTRAINT "reconciliation_checkpoints_run_id_fkey" FOREIGN KEY ("run_id")
        REFERENCES "reconciliation_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "reconciliation_checkpoints_through_seq_idx" ON "reconciliation_checkpoints"("through_seq");

-- An incremental run finds the journal entries after a seq through their ledger events.
CREATE INDEX "journal_entries_ledger_event_id_idx" ON "journal_entries"("ledger_event_id");
