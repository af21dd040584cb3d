-- A witness's latest cosignature, found from its key: the push sweep asks every few seconds, and
-- without this index a witness that is far behind (or has never cosigned) made PostgreSQL walk
-- every cosignature of every checkpoint backwards to find none.
CREATE INDEX "ledger_cosignatures_key_name_key_id_tree_size_idx"
    ON "ledger_cosignatures" ("key_name", "key_id", "tree_size");
