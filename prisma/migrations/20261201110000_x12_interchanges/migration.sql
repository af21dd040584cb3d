-- X12 interchanges received (837P) whose envelope was read, with the answer given and the
-- acknowledgments written for them (999, 277CA), so a submitter can fetch them later and a file
-- sent twice is known. A file whose envelope is refused (a TA1 or a 400) writes nothing, as every
-- refusal: the corrected file may reuse its ISA13.
--
-- The same interchange is the same submitter, sender (ISA05/ISA06), usage (ISA15) and ISA13: the
-- unique key makes two identical files at once store one. Test (T) and production (P)
-- interchanges are apart: a test run does not block the production file with the same ISA13.
--
-- Acknowledgments are interchanges of their own, each with an ISA13 (and GS06) from the sequence
-- every answer we send takes its control number from (x12_answer_control_number_seq, created with
-- the inquiries in 20261201120000, whose 271s are answers too).

CREATE TABLE "x12_interchanges" (
    "id" UUID NOT NULL,
    "submitter_org_id" UUID NOT NULL,
    "sender_qualifier" TEXT NOT NULL,
    "sender_id" TEXT NOT NULL,
    "receiver_qualifier" TEXT NOT NULL,
    "receiver_id" TEXT NOT NULL,
    "control_number" TEXT NOT NULL,
    "usage_indicator" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "idempotency_key" TEXT,
    "request_hash" CHAR(64),
    "answer_status" INTEGER NOT NULL,
    "answer_body" TEXT NOT NULL,
    "acknowledgment_999" TEXT NOT NULL,
    "acknowledgment_277ca" TEXT,

    CONSTRAINT "x12_interchanges_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "x12_interchanges_usage_indicator_check" CHECK ("usage_indicator" IN ('P', 'T'))
);

ALTER TABLE "x12_interchanges" ADD CONSTRAINT "x12_interchanges_submitter_org_id_fkey"
    FOREIGN KEY ("submitter_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE UNIQUE INDEX "x12_interchanges_same_interchange_key" ON "x12_interchanges"
    ("submitter_org_id", "usage_indicator", "sender_qualifier", "sender_id", "control_number");

-- The submitter's interchanges, newest first, in keyset pages.
CREATE INDEX "x12_interchanges_submitter_org_id_received_at_id_idx" ON "x12_interchanges"
    ("submitter_org_id", "received_at", "id");
