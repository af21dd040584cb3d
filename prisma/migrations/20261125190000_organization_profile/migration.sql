-- An organization's remittance profile: what the 835 names it by besides its name and NPI.
-- A postal address (loops 1000A/1000B N3/N4), a federal tax id (EIN: TRN03 "1" + the payer's
-- EIN, REF*TJ of the payee) and, for payers, the contacts a billing office calls about a
-- remittance (1000A PER*CX business, PER*BL technical). All nullable: an organization without
-- a profile still gets an 835, as before. Values are stored as the 835 writes them (digits
-- only, upper-case codes), so the checks below are the formats the writer relies on.
-- Bank account numbers (BPR05-BPR15) are deliberately not stored here: see the README.
ALTER TABLE "organizations"
    ADD COLUMN "address_line1" TEXT,
    ADD COLUMN "address_line2" TEXT,
    ADD COLUMN "city" TEXT,
    ADD COLUMN "state_code" CHAR(2),
    ADD COLUMN "postal_code" TEXT,
    ADD COLUMN "country_code" CHAR(2),
    ADD COLUMN "tax_id" CHAR(9),
    ADD COLUMN "business_contact_name" TEXT,
    ADD COLUMN "business_contact_phone" CHAR(10),
    ADD COLUMN "business_contact_email" TEXT,
    ADD COLUMN "technical_contact_name" TEXT,
    ADD COLUMN "technical_contact_phone" CHAR(10),
    ADD COLUMN "technical_contact_email" TEXT,
    ADD COLUMN "profile_version" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "profile_updated_at" TIMESTAMPTZ(3);

ALTER TABLE "organizations"
    -- An address is whole or absent: N3 and N4 are written together or not at all.
    ADD CONSTRAINT "organizations_address_check" CHECK (
        ("address_line1" IS NULL AND "address_line2" IS NULL AND "city" IS NULL
            AND "state_code" IS NULL AND "postal_code" IS NULL AND "country_code" IS NULL)
        OR ("address_line1" IS NOT NULL AND "city" IS NOT NULL AND "state_code" IS NOT NULL
            AND "postal_code" IS NOT NULL AND "country_code" IS NOT NULL)),
    -- N301/N302 are AN 1-55, N401 AN 2-30 in 005010X221A1.
    ADD CONSTRAINT "organizations_address_line1_check" CHECK (length("address_line1") BETWEEN 1 AND 55),
    ADD CONSTRAINT "organizations_address_line2_check" CHECK (length("address_line2") BETWEEN 1 AND 55),
    ADD CONSTRAINT "organizations_city_check" CHECK (length("city") BETWEEN 2 AND 30),
    ADD CONSTRAINT "organizations_state_code_check" CHECK ("state_code" ~ '^[A-Z]{2}$'),
    ADD CONSTRAINT "organizations_postal_code_check" CHECK ("postal_code" ~ '^[0-9]{5}([0-9]{4})?$'),
    ADD CONSTRAINT "organizations_country_code_check" CHECK ("country_code" ~ '^[A-Z]{2}$'),
    ADD CONSTRAINT "organizations_tax_id_check" CHECK ("tax_id" ~ '^[0-9]{9}$' AND "tax_id" NOT LIKE '00%'),
    -- A contact has a name and a way to reach it (PER02, then PER03/PER04 are required).
    ADD CONSTRAINT "organizations_business_contact_check" CHECK (
        ("business_contact_name" IS NULL AND "business_contact_phone" IS NULL AND "business_contact_email" IS NULL)
        OR ("business_contact_name" IS NOT NULL
            AND ("business_contact_phone" IS NOT NULL OR "business_contact_email" IS NOT NULL))),
    ADD CONSTRAINT "organizations_technical_contact_check" CHECK (
        ("technical_contact_name" IS NULL AND "technical_contact_phone" IS NULL AND "technical_contact_email" IS NULL)
        OR ("technical_contact_name" IS NOT NULL
            AND ("technical_contact_phone" IS NOT NULL OR "technical_contact_email" IS NOT NULL))),
    ADD CONSTRAINT "organizations_contact_names_check" CHECK (
        length("business_contact_name") BETWEEN 1 AND 60 AND length("technical_contact_name") BETWEEN 1 AND 60),
    ADD CONSTRAINT "organizations_contact_phones_check" CHECK (
        "business_contact_phone" ~ '^[0-9]{10}$' AND "technical_contact_phone" ~ '^[0-9]{10}$'),
    ADD CONSTRAINT "organizations_contact_emails_check" CHECK (
        length("business_contact_email") BETWEEN 3 AND 256 AND length("technical_contact_email") BETWEEN 3 AND 256),
    -- Only a payer's 835 loop (1000A) carries contacts; a provider's would never be read.
    ADD CONSTRAINT "organizations_contacts_payer_check" CHECK ("kind" = 'payer'
        OR ("business_contact_name" IS NULL AND "technical_contact_name" IS NULL)),
    ADD CONSTRAINT "organizations_profile_version_check" CHECK ("profile_version" >= 0);
