-- Claims whose automatic adjudication threw: how often, and what failed (an error class or a
-- SQLSTATE, never a message, which could quote patient data). After a few attempts the claim
-- is pended for a person with that failure named, so no claim is retried in silence for ever.
CREATE TABLE "adjudication_failures" (
    "claim_id" UUID NOT NULL,
    "attempts" INTEGER NOT NULL CHECK ("attempts" > 0),
    "failure" TEXT NOT NULL,
    "first_failed_at" TIMESTAMPTZ(3) NOT NULL,
    "last_failed_at" TIMESTAMPTZ(3) NOT NULL,
    "sent_to_review_at" TIMESTAMPTZ(3),

    CONSTRAINT "adjudication_failures_pkey" PRIMARY KEY ("claim_id"),
    CONSTRAINT "adjudication_failures_claim_id_fkey" FOREIGN KEY ("claim_id")
        REFERENCES "claims"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
