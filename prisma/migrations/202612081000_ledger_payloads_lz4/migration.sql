-- A row longer than 2 kB (TOAST's threshold) has its longest values compressed before it is
-- stored, with pglz unless a column says otherwise. A claim's decision event holds its payload
-- twice (the hashed text and the jsonb PostgreSQL generates from it), about 2.5 kB, so every
-- decision paid for two pglz compressions while its transaction held the ledger's lock (5 % of
-- PostgreSQL's CPU in a pipeline run, by perf), and every verification for decompressions.
-- lz4 keeps the same size (205 against 201 MB for 100,000 such rows) at the cost of not
-- compressing (inserting them: 1.28-1.48 s a 50,000 rows against 1.79-2.07 with pglz and
-- 1.36-1.49 stored whole; reading every text back: 0.24-0.27 s against 0.31-0.45). A decision's
-- result grows with the claim's lines, so it is stored the same way.
--
-- Only new values are written with lz4; values stored before stay pglz and read as before.
-- PostgreSQL must be built with lz4 (--with-lz4), as Debian's, the official images and the
-- major cloud services are; a server built without it refuses this migration, naming lz4.
ALTER TABLE "ledger_events"
    ALTER COLUMN "payload_canonical" SET COMPRESSION lz4,
    ALTER COLUMN "payload" SET COMPRESSION lz4;
ALTER TABLE "claim_decisions"
    ALTER COLUMN "result" SET COMPRESSION lz4,
    ALTER COLUMN "config_versions" SET COMPRESSION lz4;
