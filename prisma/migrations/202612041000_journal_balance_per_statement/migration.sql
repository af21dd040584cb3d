-- The database's double-entry check, once per statement instead of once per posting. The
-- deferred row trigger ran a plpgsql function and a sum query for every posting (about 2,500 for
-- a batch of 500 decisions, ~40 % of the journal's time in the adjudication bench). This trigger
-- sees the statement's postings as a transition table and checks every entry they touch, with
-- all of that entry's postings (earlier statements' included), in one query. It runs at the end
-- of each statement, not at commit: an entry's postings are written by one statement
-- (postJournalEntries), and a statement that leaves any entry it touches unbalanced is refused.
DROP TRIGGER "journal_postings_balance" ON "journal_postings";
DROP FUNCTION "journal_entry_balances"();

CREATE FUNCTION "journal_entries_balance"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced RECORD;
BEGIN
    SELECT p."entry_id", count(*) AS postings, sum(p."amount") AS total INTO unbalanced
        FROM "journal_postings" p
       WHERE p."entry_id" IN (SELECT DISTINCT "entry_id" FROM "inserted_postings")
       GROUP BY p."entry_id"
      HAVING sum(p."amount") <> 0 OR count(*) < 2
       LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance: % postings summing to %',
            unbalanced."entry_id", unbalanced.postings, unbalanced.total;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER "journal_postings_balance" AFTER INSERT ON "journal_postings"
    REFERENCING NEW TABLE AS "inserted_postings"
    FOR EACH STATEMENT EXECUTE FUNCTION "journal_entries_balance"();
