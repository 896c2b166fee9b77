// Counts what SQLite does for versioned writes, under `valgrind --tool=callgrind
// --toggle-collect=workload` (scripts/bench-sqlite-instructions.sh). Linked with the SQLite
// amalgamation SQLiteNIO ships, compiled with its flags.
//
//   harness setup DB FILE.sql                    runs FILE.sql on DB (not measured)
//   harness run DB MODE STATEMENTS PER_TX CACHE TABLE
//       MODE insert, update, noop, delete: STATEMENTS single-row statements on TABLE, PER_TX to
//       a transaction, each transaction a scope as `versioned` runs it (the state row made active
//       first, cleared before COMMIT); bulk: `UPDATE TABLE SET n = n + 1`; floor: the same UPDATE
//       with t's triggers dropped and its history written set-based. CACHE 0 prepares, steps and
//       finalizes every statement (SQLiteNIO 1.13.2); 1 prepares each once and resets it
//       (patches/sqlite-statement-cache).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_nio_sqlite3.h"
#define S(x) sqlite_nio_sqlite3_##x

static sqlite3 *db;

static void die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, S(errmsg)(db));
  exit(1);
}

static void exec(const char *sql) {
  char *error = 0;
  if (S(exec)(db, sql, 0, 0, &error) != SQLITE_OK) {
    fprintf(stderr, "%s\n", error);
    exit(1);
  }
}

static char *slurp(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) { perror(path); exit(1); }
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *text = malloc(size + 1);
  if (fread(text, 1, size, file) != (size_t)size) { perror(path); exit(1); }
  text[size] = 0;
  fclose(file);
  return text;
}

static sqlite3_stmt *cached[8];

// One statement as the driver runs it; `slot` names it in the cache.
static void run(int slot, int cache, const char *sql, int count, const long long *integers, const char *text) {
  sqlite3_stmt *statement = cache ? cached[slot] : 0;
  if (!statement) {
    if (S(prepare_v3)(db, sql, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0, &statement, 0) != SQLITE_OK) die(sql);
    if (cache) cached[slot] = statement;
  }
  for (int i = 0; i < count; i++) S(bind_int64)(statement, i + 1, integers[i]);
  if (text) S(bind_text)(statement, count + 1, text, -1, SQLITE_TRANSIENT);
  int status;
  while ((status = S(step)(statement)) == SQLITE_ROW) {}
  if (status != SQLITE_DONE) die(sql);
  if (cache) {
    S(reset)(statement);
    S(clear_bindings)(statement);
  } else {
    S(finalize)(statement);
  }
}

static char write_sql[512];

void workload(const char *mode, int statements, int per_tx, int cache) {
  long long values[2];
  for (int i = 0; i < statements; i++) {
    if (i % per_tx == 0) {
      run(0, cache, "BEGIN", 0, 0, 0);
      run(1, cache, "UPDATE \"_continuum_state\" SET \"active\" = 1, \"transaction_id\" = NULL, \"user_id\" = ?, \"remote_addr\" = NULL", 0, 0, "bench");
    }
    long long id = 1 + i;
    if (!strcmp(mode, "insert")) {
      values[0] = 100000 + id;
      values[1] = id;
      run(2, cache, write_sql, 2, values, "inserted");
    } else if (!strcmp(mode, "update")) {
      values[0] = id;
      values[1] = id;
      run(2, cache, write_sql, 2, values, "updated");
    } else if (!strcmp(mode, "noop") || !strcmp(mode, "delete")) {
      values[0] = id;
      run(2, cache, write_sql, 1, values, 0);
    } else if (!strcmp(mode, "bulk")) {
      run(2, cache, write_sql, 0, 0, 0);
    } else if (!strcmp(mode, "floor")) {
      run(2, 0, write_sql, 0, 0, 0);
      run(2, 0, "INSERT INTO \"transaction\" (\"issued_at\") VALUES (CURRENT_TIMESTAMP)", 0, 0, 0);
      values[0] = values[1] = S(last_insert_rowid)(db);
      run(2, 0, "INSERT INTO \"transaction_changes\" (\"transaction_id\", \"entity_name\") VALUES (?, 't')", 1, values, 0);
      run(2, 0, "UPDATE \"t_version\" SET \"end_transaction_id\" = ?1 WHERE \"end_transaction_id\" IS NULL AND \"transaction_id\" <> ?2", 2, values, 0);
      run(2, 0, "INSERT INTO \"t_version\" (\"id\", \"name\", \"n\", \"transaction_id\", \"end_transaction_id\", \"operation_type\") "
                "SELECT \"id\", \"name\", \"n\", ?, NULL, 1 FROM \"t\"", 1, values, 0);
    }
    if (i % per_tx == per_tx - 1 || i == statements - 1) {
      run(3, cache, "UPDATE \"_continuum_state\" SET \"active\" = 0, \"transaction_id\" = NULL, \"user_id\" = NULL, \"remote_addr\" = NULL", 0, 0, 0);
      run(4, cache, "COMMIT", 0, 0, 0);
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: harness setup DB FILE.sql | harness run DB MODE STATEMENTS PER_TX CACHE TABLE\n");
    return 2;
  }
  if (S(open)(argv[2], &db) != SQLITE_OK) die("open");
  exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  if (!strcmp(argv[1], "setup")) {
    exec(slurp(argv[3]));
    S(close)(db);
    return 0;
  }
  if (argc < 8) return 2;
  const char *mode = argv[3], *table = argv[7];
  if (!strcmp(mode, "insert")) snprintf(write_sql, sizeof write_sql, "INSERT INTO \"%s\" (\"id\", \"n\", \"name\") VALUES (?, ?, ?)", table);
  else if (!strcmp(mode, "update")) snprintf(write_sql, sizeof write_sql, "UPDATE \"%s\" SET \"n\" = ?2 + 1, \"name\" = ?3 WHERE \"id\" = ?1", table);
  else if (!strcmp(mode, "noop")) snprintf(write_sql, sizeof write_sql, "UPDATE \"%s\" SET \"n\" = \"n\" WHERE \"id\" = ?", table);
  else if (!strcmp(mode, "delete")) snprintf(write_sql, sizeof write_sql, "DELETE FROM \"%s\" WHERE \"id\" = ?", table);
  else snprintf(write_sql, sizeof write_sql, "UPDATE \"%s\" SET \"n\" = \"n\" + 1", table);
  if (!strcmp(mode, "floor")) {
    exec("DROP TRIGGER IF EXISTS \"_continuum_t_insert\"; DROP TRIGGER IF EXISTS \"_continuum_t_update\"; "
         "DROP TRIGGER IF EXISTS \"_continuum_t_delete\"; DROP TRIGGER IF EXISTS \"_continuum_t_key_update\";");
  }
  exec("SELECT count(*) FROM sqlite_master");  // loads the schema outside the measured function
  workload(mode, atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
  S(close)(db);
  return 0;
}
