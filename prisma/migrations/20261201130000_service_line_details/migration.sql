-- Everyday service-line details of the 837P (issue 10): a service period, the place of service,
-- the provider's line item control number and anesthesia minutes; and what the payer prices
-- anesthesia by. Every column is new and nullable or defaulted, so claims and fee schedules
-- stored before keep their meaning (one day, units, no place of service given).

-- CMS place of service of the claim (837P CLM05-1); a line's own (SV105) overrides it.
ALTER TABLE "claims" ADD COLUMN "place_of_service_code" TEXT,
    ADD CONSTRAINT "claims_place_of_service_code_check"
        CHECK ("place_of_service_code" ~ '^(0[1-9]|[1-9][0-9])$');

ALTER TABLE "claim_lines"
    -- Last day of a service period (DTP*472 RD8); NULL for a service on one day.
    ADD COLUMN "service_date_to" DATE,
    ADD COLUMN "place_of_service_code" TEXT,
    -- REF*6R of loop 2400, echoed in the 835's loop 2110 REF*6R.
    ADD COLUMN "line_control_number" TEXT,
    -- What "units" counts: units (SV103 UN), or minutes of anesthesia (SV103 MJ).
    ADD COLUMN "unit_type" TEXT NOT NULL DEFAULT 'units',
    ADD CONSTRAINT "claim_lines_service_period_check"
        CHECK ("service_date_to" IS NULL OR "service_date_to" >= "service_date"),
    ADD CONSTRAINT "claim_lines_place_of_service_code_check"
        CHECK ("place_of_service_code" ~ '^(0[1-9]|[1-9][0-9])$'),
    ADD CONSTRAINT "claim_lines_line_control_number_check"
        CHECK (char_length("line_control_number") BETWEEN 1 AND 50),
    ADD CONSTRAINT "claim_lines_unit_type_check" CHECK ("unit_type" IN ('units', 'minutes'));

-- Anesthesia base units of a code (ASA/CMS base units); NULL for codes priced per unit.
ALTER TABLE "fee_schedule_entries" ADD COLUMN "anesthesia_base_units" INTEGER,
    ADD CONSTRAINT "fee_schedule_entries_anesthesia_base_units_check"
        CHECK ("anesthesia_base_units" BETWEEN 0 AND 100);

-- Dollars per anesthesia unit (base + time units); NULL when the payer prices no anesthesia.
ALTER TABLE "payer_rules" ADD COLUMN "anesthesia_conversion_factor" DECIMAL(14,2),
    ADD CONSTRAINT "payer_rules_anesthesia_conversion_factor_check"
        CHECK ("anesthesia_conversion_factor" > 0);
