-- journal_postings' two foreign keys checked each posting alone: a trigger call, an index probe
-- and a row lock per posting. For the 2,500 postings of 500 decisions that was 59 ms of a 100 ms
-- statement (auto_explain: 30.6 ms for the entry key, 28.8 ms for the account key), and the
-- journal was the largest of PostgreSQL's costs in the pipeline bench. A trigger now checks,
-- once per statement, that every entry and account the postings name exists. That holds as
-- long as the keys would, because neither can go away: journal entries are append-only
-- already, accounts now refuse DELETE, TRUNCATE and any change but to their balance, and the
-- journal's tables refuse TRUNCATE (the keys refused it before).
ALTER TABLE "journal_postings" DROP CONSTRAINT "journal_postings_entry_id_fkey";
ALTER TABLE "journal_postings" DROP CONSTRAINT "journal_postings_account_id_fkey";

-- The check, for any table whose inserted rows name other rows by id. Arguments: pairs of
-- (column of the inserted rows, table whose "id" it names). One index probe per distinct key.
CREATE FUNCTION "inserted_rows_reference"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    FOR pair IN 0 .. TG_NARGS / 2 - 1 LOOP
        EXECUTE format(
            'SELECT k.key::text FROM (SELECT DISTINCT %1$I AS key FROM "inserted_rows") k
              WHERE k.key IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM %2$I r WHERE r."id" = k.key)
              LIMIT 1',
            TG_ARGV[pair * 2], TG_ARGV[pair * 2 + 1]) INTO missing;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%.% names no row of %: %',
                TG_TABLE_NAME, TG_ARGV[pair * 2], TG_ARGV[pair * 2 + 1], missing
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;
CREATE TRIGGER "journal_postings_references" AFTER INSERT ON "journal_postings"
    REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "inserted_rows_reference"('entry_id', 'journal_entries', 'account_id', 'accounts');

-- The balance check starts from the statement's distinct entries and sums each one's postings
-- through the primary key: as `entry_id IN (…)` it was planned, on a journal not yet analyzed,
-- as a merge join reading journal_postings' whole primary key every statement (4,996 postings
-- read for 500 entries early in a run, more as the journal grows).
CREATE OR REPLACE FUNCTION "journal_entries_balance"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced RECORD;
BEGIN
    SELECT k."entry_id", s.postings, s.total INTO unbalanced
      FROM (SELECT DISTINCT "entry_id" FROM "inserted_postings") k
     CROSS JOIN LATERAL (
           SELECT count(*) AS postings, sum(p."amount") AS total
             FROM "journal_postings" p WHERE p."entry_id" = k."entry_id"
         ) s
     WHERE s.total <> 0 OR s.postings < 2
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance: % postings summing to %',
            unbalanced."entry_id", unbalanced.postings, unbalanced.total;
    END IF;
    RETURN NULL;
END;
$$;

-- What rows name cannot go away or be renamed.
CREATE FUNCTION "reject_identity_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept and what names them never changes: % rejected',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "accounts_kept" BEFORE DELETE
    OR UPDATE OF "id", "owner_org_id", "counterparty_org_id", "purpose" ON "accounts"
    FOR EACH ROW EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "accounts_no_truncate" BEFORE TRUNCATE ON "accounts"
    FOR EACH STATEMENT EXECUTE FUNCTION "reject_identity_change"();
CREATE TRIGGER "journal_entries_no_truncate" BEFORE TRUNCATE ON "journal_entries"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_reject_change"();
CREATE TRIGGER "journal_postings_no_truncate" BEFORE TRUNCATE ON "journal_postings"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_reject_change"();
