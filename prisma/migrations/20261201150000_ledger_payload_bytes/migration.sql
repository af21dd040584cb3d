-- The exact text whose SHA-256 is an event's payload_hash: the RFC 8785 (JCS) serialization of
-- the payload as it was hashed at append, kept as UTF-8 text. Verification hashes these bytes
-- instead of re-serializing the jsonb column (which PostgreSQL normalizes), and checks that
-- the jsonb column still says the same. Events appended before this column have none;
-- verification re-serializes those as it always did.
ALTER TABLE "ledger_events" ADD COLUMN "payload_canonical" TEXT;
