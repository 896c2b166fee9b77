-- PostgreSQL: retiring whole partitions of a version table against batched deletes, and what
-- partitioning costs the writes and reads of every day (BENCHMARKS.md, "Partitions").
-- Run by scripts/bench-partitions.sh with psql; prints \timing figures.
--
-- History: 100,000 entities; 90,000 of them have 10 versions, 10,000 only 4 (their open version
-- sits in an old range): 940,000 version rows in 10,000 transactions of 100 versions each. The
-- shape of a swift-continuum version table: primary key (id, transaction_id), an index on
-- transaction_id and the partial index on open versions. The prune keeps each entity's last
-- version ("keep-last 1"), which becomes the start of its chain.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP TABLE IF EXISTS v_plain, v_part CASCADE;

CREATE TABLE v_plain (id integer NOT NULL, name text, amount integer, note text,
  transaction_id bigint NOT NULL, end_transaction_id bigint, operation_type smallint NOT NULL,
  PRIMARY KEY (id, transaction_id));
CREATE TABLE v_part (LIKE v_plain INCLUDING DEFAULTS, PRIMARY KEY (id, transaction_id)) PARTITION BY RANGE (transaction_id);
SELECT format('CREATE TABLE v_part_%s PARTITION OF v_part FOR VALUES FROM (%s) TO (%s)', p, p * 1000 + 1, (p + 1) * 1000 + 1) FROM generate_series(0, 9) AS p \gexec

-- Version r of entity a is in transaction r * 1000 + (a - 1) / 100 + 1.
CREATE TEMP TABLE source AS
  SELECT a AS id, 'name ' || a || ' r' || r AS name, (a * 7 + r) % 1000 AS amount, CASE WHEN a % 3 = 0 THEN NULL ELSE 'some note ' || a END AS note,
    r * 1000 + (a - 1) / 100 + 1 AS transaction_id,
    CASE WHEN r = CASE WHEN a % 10 = 0 THEN 3 ELSE 9 END THEN NULL ELSE (r + 1) * 1000 + (a - 1) / 100 + 1 END AS end_transaction_id,
    CASE WHEN r = 0 THEN 0 ELSE 1 END AS operation_type
  FROM generate_series(1, 100000) AS a, generate_series(0, 9) AS r WHERE r <= CASE WHEN a % 10 = 0 THEN 3 ELSE 9 END;
INSERT INTO v_plain SELECT * FROM source;
INSERT INTO v_part SELECT * FROM source;
CREATE INDEX ON v_plain (transaction_id);
CREATE INDEX ON v_part (transaction_id);
CREATE INDEX ON v_plain (id) WHERE end_transaction_id IS NULL;
CREATE INDEX ON v_part (id) WHERE end_transaction_id IS NULL;
VACUUM ANALYZE v_plain;
VACUUM ANALYZE v_part;
SELECT (SELECT COUNT(*) FROM v_plain) AS versions, pg_size_pretty(pg_total_relation_size('v_plain')) AS plain_size;

\echo '== daily cost: 10,000 single-row versioned updates (close the open version, insert the new one), plain then partitioned (10 ranges)'
\timing on
DO $$ DECLARE a integer; BEGIN FOR i IN 1..10000 LOOP a := 1 + (i * 7919) % 100000;
  UPDATE v_plain SET end_transaction_id = 20000 + i WHERE id = a AND end_transaction_id IS NULL;
  INSERT INTO v_plain VALUES (a, 'x', 1, NULL, 9500, NULL, 1) ON CONFLICT DO NOTHING; END LOOP; END $$;
DO $$ DECLARE a integer; BEGIN FOR i IN 1..10000 LOOP a := 1 + (i * 7919) % 100000;
  UPDATE v_part SET end_transaction_id = 20000 + i WHERE id = a AND end_transaction_id IS NULL;
  INSERT INTO v_part VALUES (a, 'x', 1, NULL, 9500, NULL, 1) ON CONFLICT DO NOTHING; END LOOP; END $$;
\echo '== daily cost: 10,000 histories of one entity, plain then partitioned'
DO $$ DECLARE n bigint; BEGIN FOR i IN 1..10000 LOOP
  SELECT COUNT(*) INTO n FROM (SELECT * FROM v_plain WHERE id = 1 + (i * 104729) % 100000 ORDER BY transaction_id) AS h; END LOOP; END $$;
DO $$ DECLARE n bigint; BEGIN FOR i IN 1..10000 LOOP
  SELECT COUNT(*) INTO n FROM (SELECT * FROM v_part WHERE id = 1 + (i * 104729) % 100000 ORDER BY transaction_id) AS h; END LOOP; END $$;
\timing off
-- Undo the daily-cost writes: the prunes below start from the same history.
DELETE FROM v_plain WHERE transaction_id = 9500;
DELETE FROM v_part WHERE transaction_id = 9500;
UPDATE v_plain SET end_transaction_id = NULL WHERE end_transaction_id > 20000;
UPDATE v_part SET end_transaction_id = NULL WHERE end_transaction_id > 20000;
VACUUM ANALYZE v_plain;
VACUUM ANALYZE v_part;

\echo '== prune keep-last 1, batched deletes by key range (50,000 versions a batch, one transaction each): deletes and chain starts only'
\timing on
DO $$ BEGIN FOR b IN 0..19 LOOP
  DELETE FROM v_plain WHERE id > b * 5000 AND id <= (b + 1) * 5000 AND end_transaction_id IS NOT NULL;
  UPDATE v_plain SET operation_type = 0 WHERE id > b * 5000 AND id <= (b + 1) * 5000 AND end_transaction_id IS NULL AND operation_type <> 0;
  COMMIT; END LOOP; END $$;
\timing off
SELECT COUNT(*) AS plain_left FROM v_plain;

\echo '== prune keep-last 1, retiring the 9 old ranges: copy the kept (open) versions of each into a new partition, swap, drop'
\timing on
DO $$ BEGIN FOR p IN 0..8 LOOP
  EXECUTE format('CREATE TABLE v_part_%s_kept (LIKE v_part INCLUDING DEFAULTS)', p);
  EXECUTE format('INSERT INTO v_part_%s_kept SELECT id, name, amount, note, transaction_id, end_transaction_id, 0 FROM v_part_%s WHERE end_transaction_id IS NULL', p, p);
  EXECUTE format('ALTER TABLE v_part DETACH PARTITION v_part_%s', p);
  EXECUTE format('DROP TABLE v_part_%s', p);
  EXECUTE format('ALTER TABLE v_part ATTACH PARTITION v_part_%s_kept FOR VALUES FROM (%s) TO (%s)', p, p * 1000 + 1, (p + 1) * 1000 + 1);
  COMMIT; END LOOP; END $$;
UPDATE v_part SET operation_type = 0 WHERE transaction_id > 9000 AND end_transaction_id IS NULL AND operation_type <> 0;
\timing off
SELECT COUNT(*) AS partitioned_left FROM v_part;
SELECT (SELECT COUNT(*) FROM (SELECT * FROM v_plain EXCEPT SELECT * FROM v_part) AS d) AS rows_that_differ;
