-- journal_postings' two foreign keys checked each posting alone: a trigger call, an index probe
-- and a row lock per posting. For the 2,500 postings of 500 decisions that was 59 ms of a 100 ms
-- statement (auto_explain: 30.6 ms for the entry key, 28.8 ms for the account key), and the
-- journal was the largest of PostgreSQL's costs in the pipeline bench. The statement's balance
-- trigger now also checks, once per statement, that every entry and account its postings name
-- exists. That holds as long as the keys would, because neither can go away: journal entries
-- are append-only already, accounts now refuse DELETE, TRUNCATE and any change but to their
-- balance, and the journal's tables refuse TRUNCATE (the keys refused it before).
ALTER TABLE "journal_postings" DROP CONSTRAINT "journal_postings_entry_id_fkey";
ALTER TABLE "journal_postings" DROP CONSTRAINT "journal_postings_account_id_fkey";

-- Each query starts from the statement's distinct entries (or accounts) and probes an index once
-- for each: the balance check's `entry_id IN (…)` was planned, on a journal not yet analyzed, as
-- a merge join reading journal_postings' whole primary key every statement (4,996 postings read
-- for 500 entries early in a run, more as the journal grows).
CREATE OR REPLACE FUNCTION "journal_entries_balance"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced RECORD;
    orphan RECORD;
BEGIN
    SELECT k."entry_id" INTO orphan
      FROM (SELECT DISTINCT "entry_id" FROM "inserted_postings") k
     WHERE NOT EXISTS (SELECT 1 FROM "journal_entries" e WHERE e."id" = k."entry_id")
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal posting names no journal entry: %', orphan."entry_id"
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT k."account_id" INTO orphan
      FROM (SELECT DISTINCT "account_id" FROM "inserted_postings") k
     WHERE NOT EXISTS (SELECT 1 FROM "accounts" a WHERE a."id" = k."account_id")
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal posting names no account: %', orphan."account_id"
            USING ERRCODE = 'foreign_key_violation';
    END IF;
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

CREATE FUNCTION "accounts_keep_identity"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'accounts are kept: % rejected (only a balance changes)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "accounts_kept" BEFORE DELETE
    OR UPDATE OF "id", "owner_org_id", "counterparty_org_id", "purpose" ON "accounts"
    FOR EACH ROW EXECUTE FUNCTION "accounts_keep_identity"();
CREATE TRIGGER "accounts_no_truncate" BEFORE TRUNCATE ON "accounts"
    FOR EACH STATEMENT EXECUTE FUNCTION "accounts_keep_identity"();
CREATE TRIGGER "journal_entries_no_truncate" BEFORE TRUNCATE ON "journal_entries"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_reject_change"();
CREATE TRIGGER "journal_postings_no_truncate" BEFORE TRUNCATE ON "journal_postings"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_reject_change"();
