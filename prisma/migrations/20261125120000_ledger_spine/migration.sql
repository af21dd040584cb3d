-- The ledger spine: organizations and API keys, claims, idempotency records,
-- the append-only event ledger and its hash-chained blocks.

CREATE TABLE "organizations" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "npi" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "organizations_kind_check" CHECK ("kind" IN ('provider', 'payer', 'operator')),
    CONSTRAINT "organizations_name_check" CHECK (length("name") BETWEEN 1 AND 200)
);

CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "key_prefix" TEXT NOT NULL,
    "key_hash" CHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "api_keys_role_check" CHECK ("role" IN ('provider_biller', 'payer_adjudicator', 'finance', 'auditor', 'admin'))
);
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");
CREATE INDEX "api_keys_org_id_idx" ON "api_keys"("org_id");
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_org_id_fkey"
    FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "claims" (
    "id" UUID NOT NULL,
    "provider_org_id" UUID NOT NULL,
    "payer_org_id" UUID NOT NULL,
    "patient_control_number" TEXT NOT NULL,
    "frequency_code" CHAR(1) NOT NULL,
    "original_claim_id" UUID,
    "status" TEXT NOT NULL,
    "member_id_index" CHAR(64) NOT NULL,
    "member_ciphertext" TEXT NOT NULL,
    "phi_key_version" INTEGER NOT NULL,
    "commitment_salt" CHAR(32) NOT NULL,
    "diagnosis_codes" TEXT[],
    "total_charge_amount" DECIMAL(14,2) NOT NULL,
    "line_count" INTEGER NOT NULL,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "claims_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "claims_frequency_code_check" CHECK ("frequency_code" IN ('1', '7', '8')),
    CONSTRAINT "claims_original_claim_check" CHECK (("frequency_code" = '1') = ("original_claim_id" IS NULL)),
    CONSTRAINT "claims_status_check" CHECK ("status" IN ('submitted', 'pended', 'paid', 'partially_paid', 'denied', 'voided', 'replaced', 'settled')),
    CONSTRAINT "claims_total_charge_check" CHECK ("total_charge_amount" > 0),
    CONSTRAINT "claims_line_count_check" CHECK ("line_count" BETWEEN 1 AND 50)
);
CREATE INDEX "claims_provider_org_id_submitted_at_id_idx" ON "claims"("provider_org_id", "submitted_at", "id");
CREATE INDEX "claims_payer_org_id_submitted_at_id_idx" ON "claims"("payer_org_id", "submitted_at", "id");
ALTER TABLE "claims" ADD CONSTRAINT "claims_provider_org_id_fkey"
    FOREIGN KEY ("provider_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "claims" ADD CONSTRAINT "claims_payer_org_id_fkey"
    FOREIGN KEY ("payer_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "claim_lines" (
    "claim_id" UUID NOT NULL,
    "line_number" INTEGER NOT NULL,
    "procedure_code" TEXT NOT NULL,
    "modifiers" TEXT[],
    "units" DECIMAL(10,3) NOT NULL,
    "charge_amount" DECIMAL(14,2) NOT NULL,
    "service_date" DATE NOT NULL,
    "diagnosis_pointers" INTEGER[],
    CONSTRAINT "claim_lines_pkey" PRIMARY KEY ("claim_id", "line_number"),
    CONSTRAINT "claim_lines_units_check" CHECK ("units" > 0),
    CONSTRAINT "claim_lines_charge_check" CHECK ("charge_amount" > 0)
);
ALTER TABLE "claim_lines" ADD CONSTRAINT "claim_lines_claim_id_fkey"
    FOREIGN KEY ("claim_id") REFERENCES "claims"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "idempotency_records" (
    "org_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" CHAR(64) NOT NULL,
    "response_status" INTEGER NOT NULL,
    "response_body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "idempotency_records_pkey" PRIMARY KEY ("org_id", "key")
);

-- The ledger. seq is assigned from ledger_sequence under its row lock, so seq order is
-- commit order and a rolled-back append leaves no gap.
CREATE TABLE "ledger_events" (
    "seq" BIGINT NOT NULL,
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "aggregate_id" TEXT NOT NULL,
    "actor_org_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "payload" JSONB NOT NULL,
    "payload_hash" CHAR(64) NOT NULL,
    "party_org_ids" UUID[],
    CONSTRAINT "ledger_events_pkey" PRIMARY KEY ("seq"),
    CONSTRAINT "ledger_events_seq_check" CHECK ("seq" >= 1),
    CONSTRAINT "ledger_events_payload_hash_check" CHECK ("payload_hash" ~ '^[0-9a-f]{64}$')
);
CREATE UNIQUE INDEX "ledger_events_id_key" ON "ledger_events"("id");
CREATE INDEX "ledger_events_aggregate_id_idx" ON "ledger_events"("aggregate_id");

CREATE TABLE "ledger_sequence" (
    "id" INTEGER NOT NULL,
    "next_seq" BIGINT NOT NULL,
    CONSTRAINT "ledger_sequence_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ledger_sequence_single_row" CHECK ("id" = 1)
);
INSERT INTO "ledger_sequence" ("id", "next_seq") VALUES (1, 1);

CREATE TABLE "ledger_blocks" (
    "height" INTEGER NOT NULL,
    "prev_hash" CHAR(64) NOT NULL,
    "merkle_root" CHAR(64) NOT NULL,
    "first_seq" BIGINT NOT NULL,
    "last_seq" BIGINT NOT NULL,
    "event_count" INTEGER NOT NULL,
    "sealed_at" TIMESTAMPTZ(3) NOT NULL,
    "hash" CHAR(64) NOT NULL,
    CONSTRAINT "ledger_blocks_pkey" PRIMARY KEY ("height"),
    CONSTRAINT "ledger_blocks_height_check" CHECK ("height" >= 1),
    CONSTRAINT "ledger_blocks_range_check" CHECK ("first_seq" >= 1 AND "event_count" >= 1 AND "last_seq" - "first_seq" + 1 = "event_count")
);
CREATE UNIQUE INDEX "ledger_blocks_first_seq_key" ON "ledger_blocks"("first_seq");
CREATE UNIQUE INDEX "ledger_blocks_last_seq_key" ON "ledger_blocks"("last_seq");
CREATE UNIQUE INDEX "ledger_blocks_hash_key" ON "ledger_blocks"("hash");

-- History is never edited: events and blocks reject UPDATE, DELETE and TRUNCATE.
CREATE FUNCTION "ledger_reject_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is append-only: % rejected', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "ledger_events_append_only" BEFORE UPDATE OR DELETE ON "ledger_events"
    FOR EACH ROW EXECUTE FUNCTION "ledger_reject_change"();
CREATE TRIGGER "ledger_events_no_truncate" BEFORE TRUNCATE ON "ledger_events"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_reject_change"();
CREATE TRIGGER "ledger_blocks_append_only" BEFORE UPDATE OR DELETE ON "ledger_blocks"
    FOR EACH ROW EXECUTE FUNCTION "ledger_reject_change"();
CREATE TRIGGER "ledger_blocks_no_truncate" BEFORE TRUNCATE ON "ledger_blocks"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_reject_change"();

-- A block extends the chain by exactly one: next height, linked to the previous hash,
-- starting right after the previous block's last event. A fork or a skipped or twice-sealed
-- event cannot be written, whatever the sealer's code does.
CREATE FUNCTION "ledger_blocks_check_link"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous RECORD;
BEGIN
    SELECT "height", "hash", "last_seq" INTO previous
        FROM "ledger_blocks" ORDER BY "height" DESC LIMIT 1;
    IF previous IS NULL THEN
        IF NEW."height" <> 1 OR NEW."first_seq" <> 1 OR NEW."prev_hash" <> repeat('0', 64) THEN
            RAISE EXCEPTION 'the first block must have height 1, first_seq 1 and a zero prev_hash';
        END IF;
    ELSIF NEW."height" <> previous."height" + 1
        OR NEW."prev_hash" <> previous."hash"
        OR NEW."first_seq" <> previous."last_seq" + 1 THEN
        RAISE EXCEPTION 'block % does not extend the chain head at height %', NEW."height", previous."height";
    END IF;
    IF NEW."last_seq" >= (SELECT "next_seq" FROM "ledger_sequence" WHERE "id" = 1) THEN
        RAISE EXCEPTION 'block % covers events that do not exist', NEW."height";
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER "ledger_blocks_link" BEFORE INSERT ON "ledger_blocks"
    FOR EACH ROW EXECUTE FUNCTION "ledger_blocks_check_link"();
