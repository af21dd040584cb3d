-- Duplicates that intake must refuse to write twice.
--
-- A claim's content fingerprint: a keyed hash (the PHI blind-index key, so the member id in it
-- cannot be guessed back) of the provider, payer, patient control number, member, frequency,
-- original claim and every line's code, modifiers, units, charge and dates. A client that
-- retries without an Idempotency-Key sends the same claim again; the fingerprint finds the
-- first one. Claims stored before this column have none and match nothing. A voided or
-- replaced claim leaves the index, so the same claim may be sent again after a void.
ALTER TABLE "claims" ADD COLUMN "content_fingerprint" CHAR(64);
CREATE UNIQUE INDEX "claims_content_fingerprint_key" ON "claims"("provider_org_id", "content_fingerprint")
    WHERE "status" NOT IN ('voided', 'replaced');

-- An NPI belongs to one organization. On a database that already holds two organizations
-- with one NPI this fails naming the NPI: decide which organization keeps it first.
CREATE UNIQUE INDEX "organizations_npi_key" ON "organizations"("npi");
