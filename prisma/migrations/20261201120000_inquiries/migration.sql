-- Inquiries (eligibility 270/271, claim status 276/277).
-- Control numbers (ISA13, GS06) of the X12 answers to inquiries: one sequence, so no two answers
-- share one. A 270 is answered at once and nothing else refers to the answer, so a number may
-- come round again after 999,999,999 answers (CYCLE), long after any partner still holds it.
CREATE SEQUENCE "x12_answer_control_number_seq" MINVALUE 1 MAXVALUE 999999999 CYCLE;

-- A billing office finds its claim by its own patient control number (CLM01), not our id.
CREATE INDEX "claims_provider_org_id_patient_control_number_idx"
    ON "claims"("provider_org_id", "patient_control_number");
