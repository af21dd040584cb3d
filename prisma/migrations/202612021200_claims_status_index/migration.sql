-- Claims by status for the operator's metrics (/metrics reads it at every scrape): counted by an
-- index-only scan of this index instead of reading every claim row.
CREATE INDEX "claims_status_idx" ON "claims"("status");
