-- The status index no longer holds submitted claims. Adjudication takes the oldest submitted
-- claims of its share of the members (adjudication/batch.ts, SUBMITTED_CLAIMS_PICK), which must
-- walk claims_submitted_queue_idx in order and stop after a batch. While a load outran the
-- statistics (1,107 submitted claims estimated, 60,000 there) the planner read every submitted
-- claim through this index and sorted them instead: 190 ms a batch, slower the longer the
-- backlog, and adjudication fell to 862 claims/s with 2,000/s offered. A scratch copy in that
-- state planned the pick so even as a cursor. The operator's counts by status read this index
-- for every other status and the queue index for the submitted ones.
DROP INDEX "claims_status_idx";
CREATE INDEX "claims_status_idx" ON "claims"("status") WHERE "status" <> 'submitted';
