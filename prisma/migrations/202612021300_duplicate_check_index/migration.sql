-- The duplicate check (CO-18) looks for earlier lines of a member on the dates and codes a claim
-- bills. Starting from the claims table it read every claim of the member, so adjudication slowed
-- as a member's history grew; from the lines of those dates it reads what that day holds.
CREATE INDEX "claim_lines_service_date_procedure_code_idx" ON "claim_lines" ("service_date", "procedure_code");
