-- The duplicate check (CO-18) reads a member's earlier lines on the dates and codes a claim bills.
-- From an index on the service date and code it read the lines every member had on that day
-- (a busy day's 99213s across the whole payer), and the planner, with statistics that lag a
-- load, sometimes scanned that index once per paid claim. Each line now carries its claim's
-- member blind index (a claim's member never changes), and the check reads the member's lines on
-- those dates from one index, however long the member's or the payer's history.
ALTER TABLE "claim_lines" ADD COLUMN "member_id_index" CHAR(64);
UPDATE "claim_lines" l SET "member_id_index" = c."member_id_index" FROM "claims" c WHERE c."id" = l."claim_id";
ALTER TABLE "claim_lines" ALTER COLUMN "member_id_index" SET NOT NULL;
DROP INDEX "claim_lines_service_date_procedure_code_idx";
CREATE INDEX "claim_lines_member_id_index_service_date_idx" ON "claim_lines" ("member_id_index", "service_date");
