-- The transparency log: one RFC 9162 Merkle tree over every sealed event (leaf i is the event
-- with seq i + 1, its existing leaf hash), stored as C2SP tlog-tiles, and the log's signed
-- checkpoints of it with the witnesses' cosignatures. Blocks keep their format and also record
-- the tree after them. Blocks sealed before this migration get their tree columns once, when
-- `claimchain migrate` (or the next sealing) builds the tree from the stored events.
ALTER TABLE "ledger_blocks" ADD COLUMN "tree_size" BIGINT, ADD COLUMN "tree_root" CHAR(64);
ALTER TABLE "ledger_blocks" ADD CONSTRAINT "ledger_blocks_tree_check" CHECK (
    ("tree_size" IS NULL AND "tree_root" IS NULL)
    OR ("tree_size" = "last_seq" AND "tree_root" ~ '^[0-9a-f]{64}$'));

-- Blocks stay append-only, with one exception: the tree columns of a block sealed before the
-- tree existed are set once, from NULL, and nothing else about the row may change.
CREATE FUNCTION "ledger_blocks_reject_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD."tree_size" IS NULL AND NEW."tree_size" IS NOT NULL
        AND (NEW."height", NEW."prev_hash", NEW."merkle_root", NEW."first_seq", NEW."last_seq",
             NEW."event_count", NEW."sealed_at", NEW."hash")
            IS NOT DISTINCT FROM
            (OLD."height", OLD."prev_hash", OLD."merkle_root", OLD."first_seq", OLD."last_seq",
             OLD."event_count", OLD."sealed_at", OLD."hash") THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ledger table % is append-only: % rejected', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER "ledger_blocks_append_only" ON "ledger_blocks";
CREATE TRIGGER "ledger_blocks_append_only" BEFORE UPDATE OR DELETE ON "ledger_blocks"
    FOR EACH ROW EXECUTE FUNCTION "ledger_blocks_reject_change"();

-- A block sealed from now on carries the tree, extended in its own transaction.
CREATE FUNCTION "ledger_blocks_require_tree"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."tree_size" IS NULL THEN
        RAISE EXCEPTION 'block % must record the tree size and root after it', NEW."height";
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER "ledger_blocks_tree" BEFORE INSERT ON "ledger_blocks"
    FOR EACH ROW EXECUTE FUNCTION "ledger_blocks_require_tree"();

-- Tile `tile_index` of tile level `level`: up to 256 concatenated 32-byte hashes. The last tile
-- of a level grows as the tree does; a stored hash never changes.
CREATE TABLE "ledger_tree_tiles" (
    "level" SMALLINT NOT NULL,
    "tile_index" BIGINT NOT NULL,
    "hashes" BYTEA NOT NULL,
    CONSTRAINT "ledger_tree_tiles_pkey" PRIMARY KEY ("level", "tile_index"),
    CONSTRAINT "ledger_tree_tiles_level_check" CHECK ("level" BETWEEN 0 AND 63 AND "tile_index" >= 0),
    CONSTRAINT "ledger_tree_tiles_width_check" CHECK (
        octet_length("hashes") BETWEEN 32 AND 8192 AND octet_length("hashes") % 32 = 0)
);
CREATE FUNCTION "ledger_tree_tiles_grow_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW."level" = OLD."level" AND NEW."tile_index" = OLD."tile_index"
        AND octet_length(NEW."hashes") > octet_length(OLD."hashes")
        AND substring(NEW."hashes" FROM 1 FOR octet_length(OLD."hashes")) = OLD."hashes" THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'tree tiles only grow: % of tile %/% rejected', TG_OP, OLD."level", OLD."tile_index"
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "ledger_tree_tiles_grow_only" BEFORE UPDATE OR DELETE ON "ledger_tree_tiles"
    FOR EACH ROW EXECUTE FUNCTION "ledger_tree_tiles_grow_only"();
CREATE TRIGGER "ledger_tree_tiles_no_truncate" BEFORE TRUNCATE ON "ledger_tree_tiles"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_reject_change"();

-- The log's signed checkpoints (C2SP tlog-checkpoint): one per tree size it signed.
CREATE TABLE "ledger_checkpoints" (
    "tree_size" BIGINT NOT NULL,
    "root_hash" CHAR(64) NOT NULL,
    "body" TEXT NOT NULL,
    "log_signature" TEXT NOT NULL,
    "signed_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "ledger_checkpoints_pkey" PRIMARY KEY ("tree_size"),
    CONSTRAINT "ledger_checkpoints_root_hash_check" CHECK ("root_hash" ~ '^[0-9a-f]{64}$'),
    CONSTRAINT "ledger_checkpoints_tree_size_check" CHECK ("tree_size" >= 0)
);
CREATE TRIGGER "ledger_checkpoints_append_only" BEFORE UPDATE OR DELETE ON "ledger_checkpoints"
    FOR EACH ROW EXECUTE FUNCTION "ledger_reject_change"();
CREATE TRIGGER "ledger_checkpoints_no_truncate" BEFORE TRUNCATE ON "ledger_checkpoints"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_reject_change"();

-- Witness cosignatures (C2SP tlog-cosignature/v1), each verified before it is stored.
CREATE TABLE "ledger_cosignatures" (
    "tree_size" BIGINT NOT NULL,
    "key_name" TEXT NOT NULL,
    "key_id" BIGINT NOT NULL,
    "signed_at" BIGINT NOT NULL,
    "signature" BYTEA NOT NULL,
    "added_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "ledger_cosignatures_pkey" PRIMARY KEY ("tree_size", "key_name", "key_id"),
    CONSTRAINT "ledger_cosignatures_tree_size_fkey" FOREIGN KEY ("tree_size")
        REFERENCES "ledger_checkpoints"("tree_size") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "ledger_cosignatures_signature_check" CHECK (octet_length("signature") = 72)
);
CREATE TRIGGER "ledger_cosignatures_append_only" BEFORE UPDATE OR DELETE ON "ledger_cosignatures"
    FOR EACH ROW EXECUTE FUNCTION "ledger_reject_change"();
CREATE TRIGGER "ledger_cosignatures_no_truncate" BEFORE TRUNCATE ON "ledger_cosignatures"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_reject_change"();
