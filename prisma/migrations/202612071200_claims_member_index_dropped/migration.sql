-- No statement reads claims by (payer, member blind index) since the duplicate check reads the
-- member's lines from claim_lines (migration 202612031000); the index still took an entry at
-- every claim's insert and at each of its status changes (a status is in the queues' partial
-- indexes, so no change of it is a heap-only update).
DROP INDEX "claims_payer_org_id_member_id_index_idx";
