-- A payer's configuration version: a number that moves, in the same transaction, whenever the
-- payer's plans, fee schedule or adjudication rules change (a row each, by statement triggers,
-- so a change made in SQL moves it too). Adjudication caches what it read of a payer's
-- configuration under this number and reads one row per payer to know the cache still holds.
-- The numbers come from one sequence, so they never repeat, even after the table is emptied.
CREATE SEQUENCE "payer_configuration_version_seq";

CREATE TABLE "payer_configuration_versions" (
    "payer_org_id" UUID NOT NULL,
    "version" BIGINT NOT NULL,

    CONSTRAINT "payer_configuration_versions_pkey" PRIMARY KEY ("payer_org_id")
);

ALTER TABLE "payer_configuration_versions" ADD CONSTRAINT "payer_configuration_versions_payer_org_id_fkey"
    FOREIGN KEY ("payer_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE FUNCTION "payer_configuration_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "payer_configuration_versions" ("payer_org_id", "version")
  SELECT "payer_org_id", nextval('payer_configuration_version_seq') FROM (
    SELECT DISTINCT "payer_org_id" FROM "changed_rows"
  ) AS payers
  ON CONFLICT ("payer_org_id") DO UPDATE SET "version" = EXCLUDED."version";
  RETURN NULL;
END $$;

CREATE TRIGGER "plans_inserted_configuration" AFTER INSERT ON "plans"
    REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "payer_configuration_changed"();
CREATE TRIGGER "plans_updated_configuration" AFTER UPDATE ON "plans"
    REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "payer_configuration_changed"();
CREATE TRIGGER "plans_deleted_configuration" AFTER DELETE ON "plans"
    REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "payer_configuration_changed"();
CREATE TRIGGER "fee_schedule_entries_inserted_configuration" AFTER INSERT ON "fee_schedule_entries"
    REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "payer_configuration_changed"();
CREATE TRIGGER "fee_schedule_entries_updated_configuration" AFTER UPDATE ON "fee_schedule_entries"
    REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "payer_configuration_changed"();
CREATE TRIGGER "fee_schedule_entries_deleted_configuration" AFTER DELETE ON "fee_schedule_entries"
    REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "payer_configuration_changed"();
CREATE TRIGGER "payer_rules_inserted_configuration" AFTER INSERT ON "payer_rules"
    REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "payer_configuration_changed"();
CREATE TRIGGER "payer_rules_updated_configuration" AFTER UPDATE ON "payer_rules"
    REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "payer_configuration_changed"();
CREATE TRIGGER "payer_rules_deleted_configuration" AFTER DELETE ON "payer_rules"
    REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "payer_configuration_changed"();

-- Payers configured before this migration start at a version of their own.
INSERT INTO "payer_configuration_versions" ("payer_org_id", "version")
SELECT "payer_org_id", nextval('payer_configuration_version_seq') FROM (
  SELECT "payer_org_id" FROM "plans" UNION SELECT "payer_org_id" FROM "fee_schedule_entries"
  UNION SELECT "payer_org_id" FROM "payer_rules"
) AS configured;
