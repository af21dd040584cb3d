-- Trading partners: the identifiers other systems know an organization by, clearinghouses, and
-- which providers have authorized which clearinghouse to submit their claims.
--
-- External identifiers are columns of the organization, each unique, so that "an identifier
-- belongs to one organization" is the database's rule and not only the code's:
--   payer_id             the id clearinghouses address a payer by (837P 2010BB NM109 with NM108
--                        "PI", 835 1000A REF*2U); a payer's only. AN 2-80 as in NM109.
--   interchange_id       ISA06/ISA08 (and GS02/GS03) of the files the organization sends or
--                        receives, with its qualifier ISA05/ISA07. Unique on the id alone: one
--                        sender is never two organizations, whatever qualifier it is sent with.
-- The NPI already is such a column (organizations_npi_key). The EIN stays in the remittance
-- profile (tax_id) and is not unique: the practices of a group share their group's EIN.
ALTER TABLE "organizations" DROP CONSTRAINT "organizations_kind_check";
ALTER TABLE "organizations"
    ADD CONSTRAINT "organizations_kind_check"
        CHECK ("kind" IN ('provider', 'payer', 'operator', 'clearinghouse')),
    ADD COLUMN "payer_id" TEXT,
    ADD COLUMN "interchange_qualifier" CHAR(2),
    ADD COLUMN "interchange_id" TEXT,
    -- Printable ASCII without the X12 delimiters * : ^ ~, no surrounding spaces, never a UUID
    -- (a UUID in NM109 is a ClaimChain organization id).
    ADD CONSTRAINT "organizations_payer_id_check" CHECK (
        "payer_id" ~ '^[!-)+-9;-\]_-}]([ -)+-9;-\]_-}]{0,78}[!-)+-9;-\]_-}])$'
        AND "payer_id" !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    ADD CONSTRAINT "organizations_payer_id_payer_check" CHECK ("kind" = 'payer' OR "payer_id" IS NULL),
    -- ISA05/ISA07 codes of 005010 (X12 I05) and ISA06/ISA08 as the fixed-width ISA can carry them.
    ADD CONSTRAINT "organizations_interchange_check" CHECK (
        ("interchange_qualifier" IS NULL AND "interchange_id" IS NULL)
        OR ("interchange_qualifier" IN ('01', '14', '20', '27', '28', '29', '30', '33', 'ZZ')
            AND "interchange_id" ~ '^[A-Za-z0-9./_-]{1,15}$'
            AND "kind" <> 'operator'));
CREATE UNIQUE INDEX "organizations_payer_id_key" ON "organizations"("payer_id");
CREATE UNIQUE INDEX "organizations_interchange_id_key" ON "organizations"("interchange_id");

-- A provider's authorization of a clearinghouse to submit its claims. Revoking keeps the row
-- (revoked_at set); authorizing again clears it. Only the provider changes it (its admin).
CREATE TABLE "clearinghouse_authorizations" (
    "provider_org_id" UUID NOT NULL,
    "clearinghouse_org_id" UUID NOT NULL,
    "authorized_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "clearinghouse_authorizations_pkey" PRIMARY KEY ("provider_org_id", "clearinghouse_org_id"),
    CONSTRAINT "clearinghouse_authorizations_provider_org_id_fkey" FOREIGN KEY ("provider_org_id")
        REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "clearinghouse_authorizations_clearinghouse_org_id_fkey" FOREIGN KEY ("clearinghouse_org_id")
        REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "clearinghouse_authorizations_revoked_check" CHECK ("revoked_at" IS NULL OR "revoked_at" >= "authorized_at")
);
CREATE INDEX "clearinghouse_authorizations_clearinghouse_org_id_idx"
    ON "clearinghouse_authorizations"("clearinghouse_org_id");
