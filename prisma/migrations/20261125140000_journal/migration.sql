-- Double-entry journal. Every financial event posts one entry whose postings sum to zero;
-- a deferred constraint trigger checks that at commit, whatever the code did. Account
-- balances are kept with the postings in the same transaction.

CREATE TABLE "accounts" (
    "id" UUID NOT NULL,
    "owner_org_id" UUID NOT NULL,
    "counterparty_org_id" UUID NOT NULL,
    "purpose" TEXT NOT NULL,
    "balance_amount" DECIMAL(14,2) NOT NULL DEFAULT 0,
    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "accounts_purpose_check" CHECK ("purpose" IN (
        'claims_expense', 'payable_to_provider', 'receivable_from_payer',
        'receivable_from_patients', 'patient_service_revenue'))
);
CREATE UNIQUE INDEX "accounts_owner_org_id_counterparty_org_id_purpose_key"
    ON "accounts"("owner_org_id", "counterparty_org_id", "purpose");
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_owner_org_id_fkey"
    FOREIGN KEY ("owner_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "journal_entries" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "claim_id" UUID,
    "ledger_event_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "journal_entries_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "journal_entries_claim_id_idx" ON "journal_entries"("claim_id");

CREATE TABLE "journal_postings" (
    "entry_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    CONSTRAINT "journal_postings_pkey" PRIMARY KEY ("entry_id", "account_id")
);
CREATE INDEX "journal_postings_account_id_idx" ON "journal_postings"("account_id");
ALTER TABLE "journal_postings" ADD CONSTRAINT "journal_postings_entry_id_fkey"
    FOREIGN KEY ("entry_id") REFERENCES "journal_entries"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "journal_postings" ADD CONSTRAINT "journal_postings_account_id_fkey"
    FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE FUNCTION "journal_entry_balances"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total DECIMAL;
    postings INTEGER;
BEGIN
    SELECT coalesce(sum("amount"), 0), count(*) INTO total, postings
        FROM "journal_postings" WHERE "entry_id" = NEW."entry_id";
    IF total <> 0 OR postings < 2 THEN
        RAISE EXCEPTION 'journal entry % does not balance: % postings summing to %',
            NEW."entry_id", postings, total;
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER "journal_postings_balance" AFTER INSERT ON "journal_postings"
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "journal_entry_balances"();

-- Postings, like ledger events, are history: never changed, never removed.
CREATE TRIGGER "journal_postings_append_only" BEFORE UPDATE OR DELETE ON "journal_postings"
    FOR EACH ROW EXECUTE FUNCTION "ledger_reject_change"();
CREATE TRIGGER "journal_entries_append_only" BEFORE UPDATE OR DELETE ON "journal_entries"
    FOR EACH ROW EXECUTE FUNCTION "ledger_reject_change"();
