import ContinuumSQL
import Testing

/// Pins the generated DDL for the seed `article` table, per dialect, without a database.
/// A change here changes what every user's database runs on each write: review it as such.
@Suite("Generated SQL")
struct SQLShapeTests {
    static let article = TableDescription(
        schema: "public", name: "article",
        columns: [
            ColumnDescription(name: "id", type: "INTEGER", isNotNull: true, primaryKeyPosition: 1),
            ColumnDescription(name: "name", type: "VARCHAR(255)", isNotNull: false, primaryKeyPosition: 0),
            ColumnDescription(name: "content", type: "TEXT", isNotNull: false, primaryKeyPosition: 0),
        ])

    static let postgresArticle = TableDescription(
        schema: "public", name: "article",
        columns: [
            ColumnDescription(name: "id", type: "integer", isNotNull: true, primaryKeyPosition: 1),
            ColumnDescription(name: "name", type: "character varying(255)", isNotNull: false, primaryKeyPosition: 0),
            ColumnDescription(name: "content", type: "json", isNotNull: false, primaryKeyPosition: 0, comparesAsText: true),
        ], versionsUpdatesPerStatement: true)

    @Test("SQLite: version table, indexes and triggers")
    func sqlite() throws {
        let sql = try VersioningEngine().versioningSQL(for: Self.article, options: .init(tracksModifiedColumns: true, entityName: "Article"), dialect: .sqlite)
        #expect(sql == Self.expectedSQLite, Comment(rawValue: "\n" + sql.joined(separator: ";\n")))
    }

    @Test("PostgreSQL: version table, indexes, trigger function and triggers")
    func postgres() throws {
        let sql = try VersioningEngine().versioningSQL(for: Self.postgresArticle, options: .init(tracksModifiedColumns: true, entityName: "Article"), dialect: .postgresql)
        #expect(sql == Self.expectedPostgreSQL, Comment(rawValue: "\n" + sql.joined(separator: ";\n")))
    }

    @Test("PostgreSQL: partitioned and inherited tables keep a row-level update trigger")
    func postgresRowLevelUpdates() throws {
        var table = Self.postgresArticle
        table.versionsUpdatesPerStatement = false
        let sql = try VersioningEngine().versioningSQL(for: table, options: .init(entityName: "Article"), dialect: .postgresql)
        #expect(
            sql.suffix(6) == [
                #"CREATE TRIGGER "continuum_insert_delete" AFTER INSERT OR DELETE ON "public"."article" FOR EACH ROW EXECUTE FUNCTION "public"."_continuum_article_version"()"#,
                #"CREATE TRIGGER "continuum_truncate" BEFORE TRUNCATE ON "public"."article" FOR EACH STATEMENT EXECUTE FUNCTION "public"."_continuum_article_version_truncate"()"#,
                #"CREATE TRIGGER "continuum_update" AFTER UPDATE ON "public"."article" FOR EACH ROW EXECUTE FUNCTION "public"."_continuum_article_version"()"#,
                #"DROP FUNCTION IF EXISTS "public"."_continuum_article_version_update"()"#,
                #"CREATE TRIGGER "continuum_row_columns" AFTER UPDATE ON "public"."article" FOR EACH ROW WHEN (false AND (OLD."id" IS NULL AND OLD."name" IS NULL AND OLD."content" IS NULL)) EXECUTE FUNCTION "public"."_continuum_article_key_moved"()"#,
                #"ALTER TABLE "public"."article" DISABLE TRIGGER "continuum_row_columns""#,
            ])
        // The function tests whether a versioned value changed (no `WHEN` clause to prepare per statement).
        #expect(
            sql.contains {
                $0.contains(
                    #"IF TG_OP = 'UPDATE' AND pg_catalog.record_image_eq(ROW(continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content"), ROW(continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content")) THEN"#
                )
            })
        #expect(!sql.contains { $0.contains("continuum_columns") && $0.hasPrefix("CREATE") })
    }

    @Test("shared schema for both dialects")
    func sharedSchema() {
        let sqlite = VersioningEngine().sharedSchemaSQL(dialect: .sqlite)
        #expect(sqlite.first == #"CREATE TABLE IF NOT EXISTS "transaction" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "remote_addr" VARCHAR(50), "issued_at" DATETIME, "user_id" VARCHAR(255))"#)
        let postgres = VersioningEngine().sharedSchemaSQL(dialect: .postgresql, schema: "app")
        #expect(
            postgres.prefix(2) == [
                #"CREATE SEQUENCE IF NOT EXISTS "app"."transaction_id_seq""#,
                #"CREATE TABLE IF NOT EXISTS "app"."transaction" ("id" BIGINT NOT NULL DEFAULT nextval('"app"."transaction_id_seq"'::regclass), "remote_addr" VARCHAR(50), "issued_at" TIMESTAMP WITHOUT TIME ZONE, "user_id" VARCHAR(255), "native_transaction_id" xid8, "login_role" VARCHAR(255), "client_addr" VARCHAR(50), PRIMARY KEY ("id"))"#,
            ])
        #expect(
            postgres.contains {
                $0.hasPrefix(#"CREATE OR REPLACE FUNCTION "app"."_continuum_transaction_id"() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"#)
            })
        #expect(
            postgres.contains {
                $0.hasPrefix(
                    #"CREATE OR REPLACE FUNCTION "app"."_continuum_renumber_transaction"(p_old bigint) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"#)
            })
        #expect(postgres.contains(#"REVOKE ALL ON FUNCTION "app"."_continuum_renumber_transaction"(bigint) FROM PUBLIC"#))
    }

    @Test("quotes inside names and literals are doubled")
    func quoting() throws {
        let table = TableDescription(
            schema: "public", name: #"we"ird"#,
            columns: [
                ColumnDescription(name: #"k"ey"#, type: "INTEGER", isNotNull: true, primaryKeyPosition: 1),
                ColumnDescription(name: "v", type: "TEXT", isNotNull: false, primaryKeyPosition: 0),
            ])
        let sql = try VersioningEngine().versioningSQL(for: table, options: .init(entityName: "It's"), dialect: .sqlite).joined(separator: "\n")
        #expect(sql.contains(#"CREATE TABLE "we""ird_version" ("k""ey" INTEGER NOT NULL"#))
        #expect(sql.contains("'It''s'"))
        #expect(!sql.contains(#"we"ird_version" "#))
    }
}

extension SQLShapeTests {
    static let expectedSQLite: [String] = [
        #"CREATE TABLE "article_version" ("id" INTEGER NOT NULL, "name" VARCHAR(255), "content" TEXT, "transaction_id" INTEGER NOT NULL, "end_transaction_id" INTEGER, "operation_type" SMALLINT NOT NULL, "name_mod" BOOLEAN NOT NULL DEFAULT 0, "content_mod" BOOLEAN NOT NULL DEFAULT 0, PRIMARY KEY ("id", "transaction_id"))"#,
        #"CREATE INDEX IF NOT EXISTS "ix_article_version_transaction_id" ON "article_version" ("transaction_id")"#,
        #"CREATE INDEX IF NOT EXISTS "ix_article_version_open" ON "article_version" ("id") WHERE "end_transaction_id" IS NULL"#,
        #"DROP TRIGGER IF EXISTS "_continuum_article_insert""#,
        #"DROP TRIGGER IF EXISTS "_continuum_article_update""#,
        #"DROP TRIGGER IF EXISTS "_continuum_article_delete""#,
        #"DROP TRIGGER IF EXISTS "_continuum_article_key_update""#,
        #"CREATE TRIGGER "_continuum_article_insert" AFTER INSERT ON "article" WHEN NOT EXISTS (SELECT 1 FROM "article_version" AS v WHERE (v."end_transaction_id" IS NULL AND v."operation_type" <> 2) AND ((v."id" = NEW."id") AND (v."name" IS NEW."name" COLLATE BINARY AND v."content" IS NEW."content" COLLATE BINARY))) BEGIN INSERT INTO "transaction" ("issued_at", "user_id", "remote_addr") SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', CASE WHEN "active" THEN "user_id" END, CASE WHEN "active" THEN "remote_addr" END FROM "_continuum_state" WHERE "transaction_id" IS NULL OR NOT "active"; UPDATE "_continuum_state" SET "transaction_id" = last_insert_rowid() WHERE changes(); INSERT INTO "transaction_changes" ("transaction_id", "entity_name") SELECT "transaction_id", 'Article' FROM "_continuum_state" WHERE true ON CONFLICT DO NOTHING; INSERT INTO "article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") SELECT NEW."id", NEW."name", NEW."content", s."transaction_id", NULL, CASE WHEN p."operation_type" IN (0, 1) THEN 1 ELSE 0 END, CASE WHEN p."operation_type" IN (0, 1) THEN NEW."name" IS NOT p."name" COLLATE BINARY ELSE NEW."name" IS NOT NULL END, CASE WHEN p."operation_type" IN (0, 1) THEN NEW."content" IS NOT p."content" COLLATE BINARY ELSE NEW."content" IS NOT NULL END FROM "_continuum_state" AS s LEFT JOIN "article_version" AS p ON p."id" = NEW."id" AND p."end_transaction_id" IS NULL AND p."transaction_id" <> s."transaction_id" WHERE true ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = excluded."name", "content" = excluded."content", "operation_type" = CASE WHEN "article_version"."operation_type" = 2 THEN 1 ELSE "article_version"."operation_type" END, "name_mod" = "article_version"."name_mod" OR "article_version"."name" IS NOT excluded."name" COLLATE BINARY, "content_mod" = "article_version"."content_mod" OR "article_version"."content" IS NOT excluded."content" COLLATE BINARY; UPDATE "article_version" SET "end_transaction_id" = (SELECT "transaction_id" FROM "_continuum_state") WHERE rowid = (SELECT rowid FROM "article_version" WHERE "id" = NEW."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> (SELECT "transaction_id" FROM "_continuum_state")); END"#,
        #"CREATE TRIGGER "_continuum_article_update" AFTER UPDATE OF "name", "content" ON "article" WHEN OLD."id" IS NEW."id" AND (OLD."name" IS NOT NEW."name" COLLATE BINARY OR OLD."content" IS NOT NEW."content" COLLATE BINARY) BEGIN INSERT INTO "transaction" ("issued_at", "user_id", "remote_addr") SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', CASE WHEN "active" THEN "user_id" END, CASE WHEN "active" THEN "remote_addr" END FROM "_continuum_state" WHERE "transaction_id" IS NULL OR NOT "active"; UPDATE "_continuum_state" SET "transaction_id" = last_insert_rowid() WHERE changes(); INSERT INTO "transaction_changes" ("transaction_id", "entity_name") SELECT "transaction_id", 'Article' FROM "_continuum_state" WHERE true ON CONFLICT DO NOTHING; INSERT INTO "article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (NEW."id", NEW."name", NEW."content", (SELECT "transaction_id" FROM "_continuum_state"), NULL, 1, OLD."name" IS NOT NEW."name" COLLATE BINARY, OLD."content" IS NOT NEW."content" COLLATE BINARY) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = excluded."name", "content" = excluded."content", "name_mod" = "article_version"."name_mod" OR excluded."name_mod", "content_mod" = "article_version"."content_mod" OR excluded."content_mod"; UPDATE "article_version" SET "end_transaction_id" = (SELECT "transaction_id" FROM "_continuum_state") WHERE rowid = (SELECT rowid FROM "article_version" WHERE "id" = NEW."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> (SELECT "transaction_id" FROM "_continuum_state")); END"#,
        #"CREATE TRIGGER "_continuum_article_delete" AFTER DELETE ON "article" BEGIN INSERT INTO "transaction" ("issued_at", "user_id", "remote_addr") SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', CASE WHEN "active" THEN "user_id" END, CASE WHEN "active" THEN "remote_addr" END FROM "_continuum_state" WHERE "transaction_id" IS NULL OR NOT "active"; UPDATE "_continuum_state" SET "transaction_id" = last_insert_rowid() WHERE changes(); INSERT INTO "transaction_changes" ("transaction_id", "entity_name") SELECT "transaction_id", 'Article' FROM "_continuum_state" WHERE true ON CONFLICT DO NOTHING; INSERT INTO "article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (OLD."id", OLD."name", OLD."content", (SELECT "transaction_id" FROM "_continuum_state"), NULL, 2, 1, 1) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = excluded."name", "content" = excluded."content", "operation_type" = 2, "name_mod" = 1, "content_mod" = 1 WHERE "article_version"."operation_type" <> 0; DELETE FROM "article_version" WHERE "id" = OLD."id" AND "transaction_id" = (SELECT "transaction_id" FROM "_continuum_state") AND "operation_type" = 0; UPDATE "article_version" SET "end_transaction_id" = CASE WHEN changes() THEN NULL ELSE (SELECT "transaction_id" FROM "_continuum_state") END WHERE rowid = (SELECT rowid FROM "article_version" WHERE "id" = OLD."id" AND "transaction_id" <> (SELECT "transaction_id" FROM "_continuum_state") AND ("end_transaction_id" IS NULL OR "end_transaction_id" = (SELECT "transaction_id" FROM "_continuum_state"))); END"#,
        #"CREATE TRIGGER "_continuum_article_key_update" AFTER UPDATE OF "id" ON "article" WHEN OLD."id" IS NOT NEW."id" BEGIN INSERT INTO "transaction" ("issued_at", "user_id", "remote_addr") SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', CASE WHEN "active" THEN "user_id" END, CASE WHEN "active" THEN "remote_addr" END FROM "_continuum_state" WHERE "transaction_id" IS NULL OR NOT "active"; UPDATE "_continuum_state" SET "transaction_id" = last_insert_rowid() WHERE changes(); INSERT INTO "transaction_changes" ("transaction_id", "entity_name") SELECT "transaction_id", 'Article' FROM "_continuum_state" WHERE true ON CONFLICT DO NOTHING; INSERT INTO "article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (OLD."id", OLD."name", OLD."content", (SELECT "transaction_id" FROM "_continuum_state"), NULL, 2, 1, 1) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = excluded."name", "content" = excluded."content", "operation_type" = 2, "name_mod" = 1, "content_mod" = 1 WHERE "article_version"."operation_type" <> 0; DELETE FROM "article_version" WHERE "id" = OLD."id" AND "transaction_id" = (SELECT "transaction_id" FROM "_continuum_state") AND "operation_type" = 0; UPDATE "article_version" SET "end_transaction_id" = CASE WHEN changes() THEN NULL ELSE (SELECT "transaction_id" FROM "_continuum_state") END WHERE rowid = (SELECT rowid FROM "article_version" WHERE "id" = OLD."id" AND "transaction_id" <> (SELECT "transaction_id" FROM "_continuum_state") AND ("end_transaction_id" IS NULL OR "end_transaction_id" = (SELECT "transaction_id" FROM "_continuum_state"))); INSERT INTO "article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") SELECT NEW."id", NEW."name", NEW."content", s."transaction_id", NULL, CASE WHEN p."operation_type" IN (0, 1) THEN 1 ELSE 0 END, CASE WHEN p."operation_type" IN (0, 1) THEN NEW."name" IS NOT p."name" COLLATE BINARY ELSE NEW."name" IS NOT NULL END, CASE WHEN p."operation_type" IN (0, 1) THEN NEW."content" IS NOT p."content" COLLATE BINARY ELSE NEW."content" IS NOT NULL END FROM "_continuum_state" AS s LEFT JOIN "article_version" AS p ON p."id" = NEW."id" AND p."end_transaction_id" IS NULL AND p."transaction_id" <> s."transaction_id" WHERE true ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = excluded."name", "content" = excluded."content", "operation_type" = CASE WHEN "article_version"."operation_type" = 2 THEN 1 ELSE "article_version"."operation_type" END, "name_mod" = "article_version"."name_mod" OR "article_version"."name" IS NOT excluded."name" COLLATE BINARY, "content_mod" = "article_version"."content_mod" OR "article_version"."content" IS NOT excluded."content" COLLATE BINARY; UPDATE "article_version" SET "end_transaction_id" = (SELECT "transaction_id" FROM "_continuum_state") WHERE rowid = (SELECT rowid FROM "article_version" WHERE "id" = NEW."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> (SELECT "transaction_id" FROM "_continuum_state")); END"#,
    ]

    static let expectedPostgreSQL: [String] = [
        #"CREATE TABLE "public"."article_version" ("id" integer NOT NULL, "name" character varying(255), "content" json, "transaction_id" BIGINT NOT NULL, "end_transaction_id" BIGINT, "operation_type" SMALLINT NOT NULL, "name_mod" BOOLEAN NOT NULL DEFAULT false, "content_mod" BOOLEAN NOT NULL DEFAULT false, PRIMARY KEY ("id", "transaction_id"))"#,
        #"CREATE INDEX IF NOT EXISTS "ix_article_version_transaction_id" ON "public"."article_version" ("transaction_id")"#,
        #"CREATE INDEX IF NOT EXISTS "ix_article_version_open" ON "public"."article_version" ("id") WHERE "end_transaction_id" IS NULL"#,
        #"""
        CREATE OR REPLACE FUNCTION "public"."_continuum_article_version"() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $continuum$
        #variable_conflict use_column
        <<continuum_fn>>
        DECLARE
            v_tx bigint;
            v_previous bigint;
            v_recorded boolean;
            v_old record;
            v_new record;
            v_cached text;
            v_prior record;
        BEGIN
            IF TG_RELID <> '"public"."article"'::regclass AND pg_partition_root(TG_RELID) IS DISTINCT FROM '"public"."article"'::regclass THEN
                RAISE EXCEPTION 'swift-continuum: this function versions %, not %', '"public"."article"'::regclass, TG_RELID::regclass;
            END IF;
            -- Both always hold a row of the table: an expression naming an unassigned
            -- record fails even in a branch that is not taken.
            IF TG_OP = 'INSERT' THEN
                v_old := NEW;
                v_new := NEW;
            ELSIF TG_OP = 'DELETE' THEN
                v_old := OLD;
                v_new := OLD;
            ELSE
                v_old := OLD;
                v_new := NEW;
            END IF;
            IF TG_OP = 'UPDATE' AND pg_catalog.record_image_eq(ROW(continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content"), ROW(continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content")) THEN
                RETURN NULL;
            END IF;
            v_tx := NULL;
            v_recorded := false;
            v_cached := current_setting('continuum.tx_1503733f2ec84a18', true);
            IF length(v_cached) BETWEEN 1 AND 18 AND ltrim(v_cached, '0123456789') = '' THEN
                SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded
                FROM "public"."transaction" AS t WHERE t."id" = continuum_fn.v_cached::bigint AND t."native_transaction_id" = pg_current_xact_id();
            END IF;
            IF v_tx IS NULL THEN
                INSERT INTO "public"."transaction" ("issued_at", "user_id", "remote_addr", "native_transaction_id", "login_role", "client_addr")
                SELECT now() AT TIME ZONE 'UTC',
                    NULLIF(current_setting('continuum.user_id', true), ''),
                    NULLIF(current_setting('continuum.remote_addr', true), ''),
                    pg_current_xact_id(), session_user, host(inet_client_addr())
                WHERE NOT EXISTS (SELECT 1 FROM "public"."transaction" AS t WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC')
                RETURNING "id" INTO v_tx;
                IF v_tx IS NOT NULL THEN
                    v_cached := current_setting('continuum.schemas', true);
                    PERFORM set_config('continuum.schemas', CASE WHEN v_cached IS NULL OR v_cached NOT LIKE '[%]' OR v_cached = '[]' THEN '["public"]' ELSE left(v_cached, -1) || ',"public"]' END, true);
                    INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article');
                ELSE
                    SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded FROM "public"."transaction" AS t
                    WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC' ORDER BY t."id" DESC LIMIT 1;
                    IF NOT v_recorded THEN
                        INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                    END IF;
                END IF;
                PERFORM set_config('continuum.tx_1503733f2ec84a18', v_tx::text, true);
            ELSIF NOT v_recorded THEN
                INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
            END IF;
            IF TG_OP = 'DELETE' THEN
                IF NOT v_recorded THEN
                    UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_old."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                    IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                        v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_old."id" AND "transaction_id" = continuum_fn.v_previous;
                    END IF;
                    IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true);
                    ELSE
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                    END IF;
                ELSE
                    SELECT w."transaction_id", w."operation_type" INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_old."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                    IF continuum_fn.v_prior."transaction_id" IS DISTINCT FROM continuum_fn.v_tx THEN
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_old."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                        IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                            v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_old."id" AND "transaction_id" = continuum_fn.v_previous;
                        END IF;
                        IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true);
                        ELSE
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                        END IF;
                    ELSIF EXISTS (SELECT 1 FROM ONLY "public"."article" AS l WHERE l."id" = continuum_fn.v_old."id") THEN
                        NULL;
                    ELSIF continuum_fn.v_prior."operation_type" = 0 THEN
                        DELETE FROM "public"."article_version" WHERE "id" = continuum_fn.v_old."id" AND "transaction_id" = continuum_fn.v_tx;
                        UPDATE "public"."article_version" SET "end_transaction_id" = NULL WHERE "id" = continuum_fn.v_old."id" AND "end_transaction_id" = continuum_fn.v_tx;
                    ELSE
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                    END IF;
                END IF;
                RETURN NULL;
            ELSIF TG_OP = 'UPDATE' AND (NOT (continuum_fn.v_old."id" = continuum_fn.v_new."id")) THEN
                IF NOT v_recorded THEN
                    UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_old."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                    IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                        v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_old."id" AND "transaction_id" = continuum_fn.v_previous;
                    END IF;
                    IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true);
                    ELSE
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                    END IF;
                ELSE
                    SELECT w."transaction_id", w."operation_type" INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_old."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                    IF continuum_fn.v_prior."transaction_id" IS DISTINCT FROM continuum_fn.v_tx THEN
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_old."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                        IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                            v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_old."id" AND "transaction_id" = continuum_fn.v_previous;
                        END IF;
                        IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true);
                        ELSE
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                        END IF;
                    ELSIF EXISTS (SELECT 1 FROM ONLY "public"."article" AS l WHERE l."id" = continuum_fn.v_old."id") THEN
                        NULL;
                    ELSIF continuum_fn.v_prior."operation_type" = 0 THEN
                        DELETE FROM "public"."article_version" WHERE "id" = continuum_fn.v_old."id" AND "transaction_id" = continuum_fn.v_tx;
                        UPDATE "public"."article_version" SET "end_transaction_id" = NULL WHERE "id" = continuum_fn.v_old."id" AND "end_transaction_id" = continuum_fn.v_tx;
                    ELSE
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                    END IF;
                END IF;
                SELECT w."transaction_id", w."operation_type" INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_new."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                IF continuum_fn.v_prior."transaction_id" IS NULL THEN
                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_new."name" IS NOT NULL, continuum_fn.v_new."content" IS NOT NULL);
                ELSIF continuum_fn.v_prior."operation_type" = 2 AND continuum_fn.v_prior."transaction_id" = continuum_fn.v_tx THEN
                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_new."name" IS NOT NULL, continuum_fn.v_new."content" IS NOT NULL) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 1, "name_mod" = "public"."article_version"."name_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."name"), ROW(EXCLUDED."name")), "content_mod" = "public"."article_version"."content_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."content"), ROW(EXCLUDED."content"));
                ELSIF continuum_fn.v_prior."operation_type" = 2 THEN
                    UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                    IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                        v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "transaction_id" = continuum_fn.v_previous;
                    END IF;
                    IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_new."name" IS NOT NULL, continuum_fn.v_new."content" IS NOT NULL);
                    ELSE
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_new."name" IS NOT NULL, continuum_fn.v_new."content" IS NOT NULL) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 1, "name_mod" = "public"."article_version"."name_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."name"), ROW(EXCLUDED."name")), "content_mod" = "public"."article_version"."content_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."content"), ROW(EXCLUDED."content"));
                    END IF;
                ELSE
                    SELECT w.* INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_new."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                    UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                    IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                        v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "transaction_id" = continuum_fn.v_previous;
                    END IF;
                    IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."name"), ROW(continuum_fn.v_new."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."content"), ROW(continuum_fn.v_new."content")));
                    ELSE
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."name"), ROW(continuum_fn.v_new."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."content"), ROW(continuum_fn.v_new."content"))) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "name_mod" = "public"."article_version"."name_mod" OR EXCLUDED."name_mod", "content_mod" = "public"."article_version"."content_mod" OR EXCLUDED."content_mod";
                    END IF;
                END IF;
                RETURN NULL;
            ELSIF TG_OP = 'UPDATE' THEN
                UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                    v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                    UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "transaction_id" = continuum_fn.v_previous;
                END IF;
                IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_old."name"), ROW(continuum_fn.v_new."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_old."content"), ROW(continuum_fn.v_new."content")));
                ELSE
                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_old."name"), ROW(continuum_fn.v_new."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_old."content"), ROW(continuum_fn.v_new."content"))) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "name_mod" = "public"."article_version"."name_mod" OR EXCLUDED."name_mod", "content_mod" = "public"."article_version"."content_mod" OR EXCLUDED."content_mod";
                END IF;
                RETURN NULL;
            END IF;
            SELECT w."transaction_id", w."operation_type" INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_new."id" AND w."end_transaction_id" IS NULL LIMIT 1;
            IF continuum_fn.v_prior."transaction_id" IS NULL THEN
                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_new."name" IS NOT NULL, continuum_fn.v_new."content" IS NOT NULL);
            ELSIF continuum_fn.v_prior."operation_type" = 2 AND continuum_fn.v_prior."transaction_id" = continuum_fn.v_tx THEN
                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_new."name" IS NOT NULL, continuum_fn.v_new."content" IS NOT NULL) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 1, "name_mod" = "public"."article_version"."name_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."name"), ROW(EXCLUDED."name")), "content_mod" = "public"."article_version"."content_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."content"), ROW(EXCLUDED."content"));
            ELSIF continuum_fn.v_prior."operation_type" = 2 THEN
                UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                    v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                    UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "transaction_id" = continuum_fn.v_previous;
                END IF;
                IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_new."name" IS NOT NULL, continuum_fn.v_new."content" IS NOT NULL);
                ELSE
                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_new."name" IS NOT NULL, continuum_fn.v_new."content" IS NOT NULL) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 1, "name_mod" = "public"."article_version"."name_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."name"), ROW(EXCLUDED."name")), "content_mod" = "public"."article_version"."content_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."content"), ROW(EXCLUDED."content"));
                END IF;
            ELSE
                SELECT w.* INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_new."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                    v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                    UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "transaction_id" = continuum_fn.v_previous;
                END IF;
                IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."name"), ROW(continuum_fn.v_new."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."content"), ROW(continuum_fn.v_new."content")));
                ELSE
                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."name"), ROW(continuum_fn.v_new."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."content"), ROW(continuum_fn.v_new."content"))) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "name_mod" = "public"."article_version"."name_mod" OR EXCLUDED."name_mod", "content_mod" = "public"."article_version"."content_mod" OR EXCLUDED."content_mod";
                END IF;
            END IF;
            RETURN NULL;
        END
        $continuum$
        """#,
        #"REVOKE ALL ON FUNCTION "public"."_continuum_article_version"() FROM PUBLIC"#,
        #"""
        CREATE OR REPLACE FUNCTION "public"."_continuum_article_version_truncate"() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $continuum$
        #variable_conflict use_column
        <<continuum_fn>>
        DECLARE
            v_tx bigint;
            v_previous bigint;
            v_recorded boolean;
            v_row record;
            v_cached text;
            v_prior record;
        BEGIN
            IF TG_RELID <> '"public"."article"'::regclass AND pg_partition_root(TG_RELID) IS DISTINCT FROM '"public"."article"'::regclass THEN
                RAISE EXCEPTION 'swift-continuum: this function versions %, not %', '"public"."article"'::regclass, TG_RELID::regclass;
            END IF;
            FOR v_row IN EXECUTE CASE WHEN (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID) = 'p'
                THEN $sql$SELECT * FROM "public"."article"$sql$ ELSE $sql$SELECT * FROM ONLY "public"."article"$sql$ END LOOP
                IF v_tx IS NULL THEN
                    v_tx := NULL;
                    v_recorded := false;
                    v_cached := current_setting('continuum.tx_1503733f2ec84a18', true);
                    IF length(v_cached) BETWEEN 1 AND 18 AND ltrim(v_cached, '0123456789') = '' THEN
                        SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded
                        FROM "public"."transaction" AS t WHERE t."id" = continuum_fn.v_cached::bigint AND t."native_transaction_id" = pg_current_xact_id();
                    END IF;
                    IF v_tx IS NULL THEN
                        INSERT INTO "public"."transaction" ("issued_at", "user_id", "remote_addr", "native_transaction_id", "login_role", "client_addr")
                        SELECT now() AT TIME ZONE 'UTC',
                            NULLIF(current_setting('continuum.user_id', true), ''),
                            NULLIF(current_setting('continuum.remote_addr', true), ''),
                            pg_current_xact_id(), session_user, host(inet_client_addr())
                        WHERE NOT EXISTS (SELECT 1 FROM "public"."transaction" AS t WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC')
                        RETURNING "id" INTO v_tx;
                        IF v_tx IS NOT NULL THEN
                            v_cached := current_setting('continuum.schemas', true);
                            PERFORM set_config('continuum.schemas', CASE WHEN v_cached IS NULL OR v_cached NOT LIKE '[%]' OR v_cached = '[]' THEN '["public"]' ELSE left(v_cached, -1) || ',"public"]' END, true);
                            INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article');
                        ELSE
                            SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded FROM "public"."transaction" AS t
                            WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC' ORDER BY t."id" DESC LIMIT 1;
                            IF NOT v_recorded THEN
                                INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                            END IF;
                        END IF;
                        PERFORM set_config('continuum.tx_1503733f2ec84a18', v_tx::text, true);
                    ELSIF NOT v_recorded THEN
                        INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                    END IF;
                END IF;
                IF NOT v_recorded THEN
                    UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                    IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                        v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                    END IF;
                    IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true);
                    ELSE
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                    END IF;
                ELSE
                    SELECT w."transaction_id", w."operation_type" INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_row."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                    IF continuum_fn.v_prior."transaction_id" IS DISTINCT FROM continuum_fn.v_tx THEN
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                        IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                            v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                        END IF;
                        IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true);
                        ELSE
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                        END IF;
                    ELSIF continuum_fn.v_prior."operation_type" = 0 THEN
                        DELETE FROM "public"."article_version" WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_tx;
                        UPDATE "public"."article_version" SET "end_transaction_id" = NULL WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" = continuum_fn.v_tx;
                    ELSE
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                    END IF;
                END IF;
            END LOOP;
            RETURN NULL;
        END
        $continuum$
        """#,
        #"REVOKE ALL ON FUNCTION "public"."_continuum_article_version_truncate"() FROM PUBLIC"#,
        #"""
        CREATE OR REPLACE FUNCTION "public"."_continuum_article_version_update"() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $continuum$
        #variable_conflict use_column
        <<continuum_fn>>
        DECLARE
            v_tx bigint;
            v_previous bigint;
            v_recorded boolean;
            v_moved boolean;
            v_changed boolean;
            v_first boolean;
            v_row record;
            v_count bigint;
            v_pairs bigint;
            v_old record;
            v_new record;
            v_cached text;
            v_prior record;
        BEGIN
            IF TG_RELID <> '"public"."article"'::regclass AND pg_partition_root(TG_RELID) IS DISTINCT FROM '"public"."article"'::regclass THEN
                RAISE EXCEPTION 'swift-continuum: this function versions %, not %', '"public"."article"'::regclass, TG_RELID::regclass;
            END IF;
            SELECT count(*) INTO v_count FROM "continuum_new_rows";
            IF v_count = 1 THEN
                SELECT * INTO v_new FROM "continuum_new_rows";
                SELECT * INTO v_old FROM "continuum_old_rows";
                IF NOT (NOT (continuum_fn.v_old."id" = continuum_fn.v_new."id")) THEN
                    IF NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_old."id", continuum_fn.v_old."name", continuum_fn.v_old."content"), ROW(continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content")) THEN
                        v_tx := NULL;
                        v_recorded := false;
                        v_cached := current_setting('continuum.tx_1503733f2ec84a18', true);
                        IF length(v_cached) BETWEEN 1 AND 18 AND ltrim(v_cached, '0123456789') = '' THEN
                            SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded
                            FROM "public"."transaction" AS t WHERE t."id" = continuum_fn.v_cached::bigint AND t."native_transaction_id" = pg_current_xact_id();
                        END IF;
                        IF v_tx IS NULL THEN
                            INSERT INTO "public"."transaction" ("issued_at", "user_id", "remote_addr", "native_transaction_id", "login_role", "client_addr")
                            SELECT now() AT TIME ZONE 'UTC',
                                NULLIF(current_setting('continuum.user_id', true), ''),
                                NULLIF(current_setting('continuum.remote_addr', true), ''),
                                pg_current_xact_id(), session_user, host(inet_client_addr())
                            WHERE NOT EXISTS (SELECT 1 FROM "public"."transaction" AS t WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC')
                            RETURNING "id" INTO v_tx;
                            IF v_tx IS NOT NULL THEN
                                v_cached := current_setting('continuum.schemas', true);
                                PERFORM set_config('continuum.schemas', CASE WHEN v_cached IS NULL OR v_cached NOT LIKE '[%]' OR v_cached = '[]' THEN '["public"]' ELSE left(v_cached, -1) || ',"public"]' END, true);
                                INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article');
                            ELSE
                                SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded FROM "public"."transaction" AS t
                                WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC' ORDER BY t."id" DESC LIMIT 1;
                                IF NOT v_recorded THEN
                                    INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                                END IF;
                            END IF;
                            PERFORM set_config('continuum.tx_1503733f2ec84a18', v_tx::text, true);
                        ELSIF NOT v_recorded THEN
                            INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                        END IF;
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                        IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                            v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_new."id" AND "transaction_id" = continuum_fn.v_previous;
                        END IF;
                        IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_new."id", continuum_fn.v_new."name", continuum_fn.v_new."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_old."name"), ROW(continuum_fn.v_new."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_old."content"), ROW(continuum_fn.v_new."content")));
                        ELSE
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") SELECT CASE WHEN l."id" IS NULL THEN continuum_fn.v_new."id" ELSE l."id" END, CASE WHEN l."id" IS NULL THEN continuum_fn.v_new."name" ELSE l."name" END, CASE WHEN l."id" IS NULL THEN continuum_fn.v_new."content" ELSE l."content" END, continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_old."name"), ROW(CASE WHEN l."id" IS NULL THEN continuum_fn.v_new."name" ELSE l."name" END)), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_old."content"), ROW(CASE WHEN l."id" IS NULL THEN continuum_fn.v_new."content" ELSE l."content" END)) FROM (SELECT) AS z LEFT JOIN "public"."article" AS l ON l."id" = continuum_fn.v_new."id" WHERE true ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "name_mod" = "public"."article_version"."name_mod" OR EXCLUDED."name_mod", "content_mod" = "public"."article_version"."content_mod" OR EXCLUDED."content_mod";
                        END IF;
                    END IF;
                    RETURN NULL;
                END IF;
            END IF;
            IF v_count <= 32 THEN
                v_pairs := 0;
                FOR v_row IN SELECT n."id" AS "id", n."name" AS "name", n."content" AS "content", o."name" AS "continuum_old_1", o."content" AS "continuum_old_2", NOT pg_catalog.record_image_eq(ROW(o."id", o."name", o."content"), ROW(n."id", n."name", n."content")) AS "continuum_old_changed" FROM "continuum_new_rows" AS n JOIN "continuum_old_rows" AS o ON o."id" = n."id" LOOP
                    v_pairs := v_pairs + 1;
                    IF continuum_fn.v_row."continuum_old_changed" THEN
                        IF v_tx IS NULL THEN
                            v_tx := NULL;
                            v_recorded := false;
                            v_cached := current_setting('continuum.tx_1503733f2ec84a18', true);
                            IF length(v_cached) BETWEEN 1 AND 18 AND ltrim(v_cached, '0123456789') = '' THEN
                                SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded
                                FROM "public"."transaction" AS t WHERE t."id" = continuum_fn.v_cached::bigint AND t."native_transaction_id" = pg_current_xact_id();
                            END IF;
                            IF v_tx IS NULL THEN
                                INSERT INTO "public"."transaction" ("issued_at", "user_id", "remote_addr", "native_transaction_id", "login_role", "client_addr")
                                SELECT now() AT TIME ZONE 'UTC',
                                    NULLIF(current_setting('continuum.user_id', true), ''),
                                    NULLIF(current_setting('continuum.remote_addr', true), ''),
                                    pg_current_xact_id(), session_user, host(inet_client_addr())
                                WHERE NOT EXISTS (SELECT 1 FROM "public"."transaction" AS t WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC')
                                RETURNING "id" INTO v_tx;
                                IF v_tx IS NOT NULL THEN
                                    v_cached := current_setting('continuum.schemas', true);
                                    PERFORM set_config('continuum.schemas', CASE WHEN v_cached IS NULL OR v_cached NOT LIKE '[%]' OR v_cached = '[]' THEN '["public"]' ELSE left(v_cached, -1) || ',"public"]' END, true);
                                    INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article');
                                ELSE
                                    SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded FROM "public"."transaction" AS t
                                    WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC' ORDER BY t."id" DESC LIMIT 1;
                                    IF NOT v_recorded THEN
                                        INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                                    END IF;
                                END IF;
                                PERFORM set_config('continuum.tx_1503733f2ec84a18', v_tx::text, true);
                            ELSIF NOT v_recorded THEN
                                INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                            END IF;
                        END IF;
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                        IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                            v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                        END IF;
                        IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_row."continuum_old_1"), ROW(continuum_fn.v_row."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_row."continuum_old_2"), ROW(continuum_fn.v_row."content")));
                        ELSE
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") SELECT CASE WHEN l."id" IS NULL THEN continuum_fn.v_row."id" ELSE l."id" END, CASE WHEN l."id" IS NULL THEN continuum_fn.v_row."name" ELSE l."name" END, CASE WHEN l."id" IS NULL THEN continuum_fn.v_row."content" ELSE l."content" END, continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_row."continuum_old_1"), ROW(CASE WHEN l."id" IS NULL THEN continuum_fn.v_row."name" ELSE l."name" END)), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_row."continuum_old_2"), ROW(CASE WHEN l."id" IS NULL THEN continuum_fn.v_row."content" ELSE l."content" END)) FROM (SELECT) AS z LEFT JOIN "public"."article" AS l ON l."id" = continuum_fn.v_row."id" WHERE true ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "name_mod" = "public"."article_version"."name_mod" OR EXCLUDED."name_mod", "content_mod" = "public"."article_version"."content_mod" OR EXCLUDED."content_mod";
                        END IF;
                    END IF;
                END LOOP;
                IF v_pairs < v_count THEN
                    IF v_tx IS NULL THEN
                        v_tx := NULL;
                        v_recorded := false;
                        v_cached := current_setting('continuum.tx_1503733f2ec84a18', true);
                        IF length(v_cached) BETWEEN 1 AND 18 AND ltrim(v_cached, '0123456789') = '' THEN
                            SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded
                            FROM "public"."transaction" AS t WHERE t."id" = continuum_fn.v_cached::bigint AND t."native_transaction_id" = pg_current_xact_id();
                        END IF;
                        IF v_tx IS NULL THEN
                            INSERT INTO "public"."transaction" ("issued_at", "user_id", "remote_addr", "native_transaction_id", "login_role", "client_addr")
                            SELECT now() AT TIME ZONE 'UTC',
                                NULLIF(current_setting('continuum.user_id', true), ''),
                                NULLIF(current_setting('continuum.remote_addr', true), ''),
                                pg_current_xact_id(), session_user, host(inet_client_addr())
                            WHERE NOT EXISTS (SELECT 1 FROM "public"."transaction" AS t WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC')
                            RETURNING "id" INTO v_tx;
                            IF v_tx IS NOT NULL THEN
                                v_cached := current_setting('continuum.schemas', true);
                                PERFORM set_config('continuum.schemas', CASE WHEN v_cached IS NULL OR v_cached NOT LIKE '[%]' OR v_cached = '[]' THEN '["public"]' ELSE left(v_cached, -1) || ',"public"]' END, true);
                                INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article');
                            ELSE
                                SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded FROM "public"."transaction" AS t
                                WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC' ORDER BY t."id" DESC LIMIT 1;
                                IF NOT v_recorded THEN
                                    INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                                END IF;
                            END IF;
                            PERFORM set_config('continuum.tx_1503733f2ec84a18', v_tx::text, true);
                        ELSIF NOT v_recorded THEN
                            INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                        END IF;
                    END IF;
                    FOR v_row IN EXECUTE $sql$SELECT j.* FROM (SELECT o.*, n."id" IS NULL AS "continuum_side" FROM "continuum_old_rows" AS o FULL JOIN "continuum_new_rows" AS n ON o."id" = n."id" OFFSET 0) AS j WHERE j."continuum_side"$sql$ LOOP
                        IF NOT v_recorded THEN
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                            IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                                v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                                UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                            END IF;
                            IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true);
                            ELSE
                                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                            END IF;
                        ELSE
                            SELECT w."transaction_id", w."operation_type" INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_row."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                            IF continuum_fn.v_prior."transaction_id" IS DISTINCT FROM continuum_fn.v_tx THEN
                                UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                                IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                                    v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                                    UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                                END IF;
                                IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true);
                                ELSE
                                    INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                                END IF;
                            ELSIF EXISTS (SELECT 1 FROM ONLY "public"."article" AS l WHERE l."id" = continuum_fn.v_row."id") THEN
                                NULL;
                            ELSIF continuum_fn.v_prior."operation_type" = 0 THEN
                                DELETE FROM "public"."article_version" WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_tx;
                                UPDATE "public"."article_version" SET "end_transaction_id" = NULL WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" = continuum_fn.v_tx;
                            ELSE
                                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                            END IF;
                        END IF;
                    END LOOP;
                    FOR v_row IN EXECUTE $sql$SELECT j.* FROM (SELECT CASE WHEN l."id" IS NULL THEN n."id" ELSE l."id" END AS "id", CASE WHEN l."id" IS NULL THEN n."name" ELSE l."name" END AS "name", CASE WHEN l."id" IS NULL THEN n."content" ELSE l."content" END AS "content", o."id" IS NULL AS "continuum_side" FROM "continuum_old_rows" AS o FULL JOIN "continuum_new_rows" AS n ON o."id" = n."id" LEFT JOIN "public"."article" AS l ON l."id" = n."id" OFFSET 0) AS j WHERE j."continuum_side"$sql$ LOOP
                        SELECT w."transaction_id", w."operation_type" INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_row."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                        IF continuum_fn.v_prior."transaction_id" IS NULL THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_row."name" IS NOT NULL, continuum_fn.v_row."content" IS NOT NULL);
                        ELSIF continuum_fn.v_prior."operation_type" = 2 AND continuum_fn.v_prior."transaction_id" = continuum_fn.v_tx THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_row."name" IS NOT NULL, continuum_fn.v_row."content" IS NOT NULL) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 1, "name_mod" = "public"."article_version"."name_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."name"), ROW(EXCLUDED."name")), "content_mod" = "public"."article_version"."content_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."content"), ROW(EXCLUDED."content"));
                        ELSIF continuum_fn.v_prior."operation_type" = 2 THEN
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                            IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                                v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                                UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                            END IF;
                            IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_row."name" IS NOT NULL, continuum_fn.v_row."content" IS NOT NULL);
                            ELSE
                                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_row."name" IS NOT NULL, continuum_fn.v_row."content" IS NOT NULL) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 1, "name_mod" = "public"."article_version"."name_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."name"), ROW(EXCLUDED."name")), "content_mod" = "public"."article_version"."content_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."content"), ROW(EXCLUDED."content"));
                            END IF;
                        ELSE
                            SELECT w.* INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_row."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                            IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                                v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                                UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                            END IF;
                            IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."name"), ROW(continuum_fn.v_row."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."content"), ROW(continuum_fn.v_row."content")));
                            ELSE
                                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."name"), ROW(continuum_fn.v_row."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."content"), ROW(continuum_fn.v_row."content"))) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "name_mod" = "public"."article_version"."name_mod" OR EXCLUDED."name_mod", "content_mod" = "public"."article_version"."content_mod" OR EXCLUDED."content_mod";
                            END IF;
                        END IF;
                    END LOOP;
                END IF;
                RETURN NULL;
            END IF;
            EXECUTE $sql$SELECT COALESCE(bool_or(o."id" IS NULL OR n."id" IS NULL), false), COALESCE(bool_or(o."id" IS NOT NULL AND n."id" IS NOT NULL AND NOT pg_catalog.record_image_eq(ROW(o."id", o."name", o."content"), ROW(n."id", n."name", n."content"))), false) FROM "continuum_old_rows" AS o FULL JOIN "continuum_new_rows" AS n ON o."id" = n."id"$sql$ INTO v_moved, v_changed;
            IF NOT v_moved AND NOT v_changed THEN
                RETURN NULL;
            END IF;
            v_tx := NULL;
            v_recorded := false;
            v_cached := current_setting('continuum.tx_1503733f2ec84a18', true);
            IF length(v_cached) BETWEEN 1 AND 18 AND ltrim(v_cached, '0123456789') = '' THEN
                SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded
                FROM "public"."transaction" AS t WHERE t."id" = continuum_fn.v_cached::bigint AND t."native_transaction_id" = pg_current_xact_id();
            END IF;
            IF v_tx IS NULL THEN
                INSERT INTO "public"."transaction" ("issued_at", "user_id", "remote_addr", "native_transaction_id", "login_role", "client_addr")
                SELECT now() AT TIME ZONE 'UTC',
                    NULLIF(current_setting('continuum.user_id', true), ''),
                    NULLIF(current_setting('continuum.remote_addr', true), ''),
                    pg_current_xact_id(), session_user, host(inet_client_addr())
                WHERE NOT EXISTS (SELECT 1 FROM "public"."transaction" AS t WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC')
                RETURNING "id" INTO v_tx;
                IF v_tx IS NOT NULL THEN
                    v_cached := current_setting('continuum.schemas', true);
                    PERFORM set_config('continuum.schemas', CASE WHEN v_cached IS NULL OR v_cached NOT LIKE '[%]' OR v_cached = '[]' THEN '["public"]' ELSE left(v_cached, -1) || ',"public"]' END, true);
                    INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article');
                ELSE
                    SELECT t."id", EXISTS (SELECT 1 FROM "public"."transaction_changes" AS c WHERE c."transaction_id" = t."id" AND c."entity_name" = 'Article') INTO v_tx, v_recorded FROM "public"."transaction" AS t
                    WHERE t."native_transaction_id" = pg_current_xact_id() AND t."issued_at" = now() AT TIME ZONE 'UTC' ORDER BY t."id" DESC LIMIT 1;
                    IF NOT v_recorded THEN
                        INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
                    END IF;
                END IF;
                PERFORM set_config('continuum.tx_1503733f2ec84a18', v_tx::text, true);
            ELSIF NOT v_recorded THEN
                INSERT INTO "public"."transaction_changes" ("transaction_id", "entity_name") VALUES (continuum_fn.v_tx, 'Article') ON CONFLICT DO NOTHING;
            END IF;
            v_first := NOT v_recorded;
            IF v_moved THEN
                FOR v_row IN EXECUTE $sql$SELECT j.* FROM (SELECT o.*, n."id" IS NULL AS "continuum_side" FROM "continuum_old_rows" AS o FULL JOIN "continuum_new_rows" AS n ON o."id" = n."id" OFFSET 0) AS j WHERE j."continuum_side"$sql$ LOOP
                    IF NOT v_recorded THEN
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                        IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                            v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                        END IF;
                        IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true);
                        ELSE
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                        END IF;
                    ELSE
                        SELECT w."transaction_id", w."operation_type" INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_row."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                        IF continuum_fn.v_prior."transaction_id" IS DISTINCT FROM continuum_fn.v_tx THEN
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                            IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                                v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                                UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                            END IF;
                            IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true);
                            ELSE
                                INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                            END IF;
                        ELSIF EXISTS (SELECT 1 FROM ONLY "public"."article" AS l WHERE l."id" = continuum_fn.v_row."id") THEN
                            NULL;
                        ELSIF continuum_fn.v_prior."operation_type" = 0 THEN
                            DELETE FROM "public"."article_version" WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_tx;
                            UPDATE "public"."article_version" SET "end_transaction_id" = NULL WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" = continuum_fn.v_tx;
                        ELSE
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 2, true, true) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 2, "name_mod" = true, "content_mod" = true;
                        END IF;
                    END IF;
                END LOOP;
                FOR v_row IN EXECUTE $sql$SELECT j.* FROM (SELECT CASE WHEN l."id" IS NULL THEN n."id" ELSE l."id" END AS "id", CASE WHEN l."id" IS NULL THEN n."name" ELSE l."name" END AS "name", CASE WHEN l."id" IS NULL THEN n."content" ELSE l."content" END AS "content", o."id" IS NULL AS "continuum_side" FROM "continuum_old_rows" AS o FULL JOIN "continuum_new_rows" AS n ON o."id" = n."id" LEFT JOIN "public"."article" AS l ON l."id" = n."id" OFFSET 0) AS j WHERE j."continuum_side"$sql$ LOOP
                    SELECT w."transaction_id", w."operation_type" INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_row."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                    IF continuum_fn.v_prior."transaction_id" IS NULL THEN
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_row."name" IS NOT NULL, continuum_fn.v_row."content" IS NOT NULL);
                    ELSIF continuum_fn.v_prior."operation_type" = 2 AND continuum_fn.v_prior."transaction_id" = continuum_fn.v_tx THEN
                        INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_row."name" IS NOT NULL, continuum_fn.v_row."content" IS NOT NULL) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 1, "name_mod" = "public"."article_version"."name_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."name"), ROW(EXCLUDED."name")), "content_mod" = "public"."article_version"."content_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."content"), ROW(EXCLUDED."content"));
                    ELSIF continuum_fn.v_prior."operation_type" = 2 THEN
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                        IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                            v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                        END IF;
                        IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_row."name" IS NOT NULL, continuum_fn.v_row."content" IS NOT NULL);
                        ELSE
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 0, continuum_fn.v_row."name" IS NOT NULL, continuum_fn.v_row."content" IS NOT NULL) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "operation_type" = 1, "name_mod" = "public"."article_version"."name_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."name"), ROW(EXCLUDED."name")), "content_mod" = "public"."article_version"."content_mod" OR NOT pg_catalog.record_image_eq(ROW("public"."article_version"."content"), ROW(EXCLUDED."content"));
                        END IF;
                    ELSE
                        SELECT w.* INTO v_prior FROM "public"."article_version" AS w WHERE w."id" = continuum_fn.v_row."id" AND w."end_transaction_id" IS NULL LIMIT 1;
                        UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "end_transaction_id" IS NULL AND "transaction_id" <> continuum_fn.v_tx RETURNING "transaction_id" INTO v_previous;
                        IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                            v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                            UPDATE "public"."article_version" SET "end_transaction_id" = continuum_fn.v_tx WHERE "id" = continuum_fn.v_row."id" AND "transaction_id" = continuum_fn.v_previous;
                        END IF;
                        IF continuum_fn.v_previous IS NOT NULL OR NOT v_recorded THEN
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."name"), ROW(continuum_fn.v_row."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."content"), ROW(continuum_fn.v_row."content")));
                        ELSE
                            INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") VALUES (continuum_fn.v_row."id", continuum_fn.v_row."name", continuum_fn.v_row."content", continuum_fn.v_tx, NULL, 1, NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."name"), ROW(continuum_fn.v_row."name")), NOT pg_catalog.record_image_eq(ROW(continuum_fn.v_prior."content"), ROW(continuum_fn.v_row."content"))) ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "name_mod" = "public"."article_version"."name_mod" OR EXCLUDED."name_mod", "content_mod" = "public"."article_version"."content_mod" OR EXCLUDED."content_mod";
                        END IF;
                    END IF;
                END LOOP;
            END IF;
            IF v_changed THEN
                IF v_first AND NOT v_moved THEN
                    EXECUTE $sql$WITH "pairs" AS MATERIALIZED (SELECT j."n1", j."n2", j."n3", j."m1", j."m2" FROM (SELECT CASE WHEN l."id" IS NULL THEN n."id" ELSE l."id" END AS "n1", CASE WHEN l."id" IS NULL THEN n."name" ELSE l."name" END AS "n2", CASE WHEN l."id" IS NULL THEN n."content" ELSE l."content" END AS "n3", NOT pg_catalog.record_image_eq(ROW(o."name"), ROW(CASE WHEN l."id" IS NULL THEN n."name" ELSE l."name" END)) AS "m1", NOT pg_catalog.record_image_eq(ROW(o."content"), ROW(CASE WHEN l."id" IS NULL THEN n."content" ELSE l."content" END)) AS "m2", o."id" IS NOT NULL AND n."id" IS NOT NULL AND NOT pg_catalog.record_image_eq(ROW(o."id", o."name", o."content"), ROW(n."id", n."name", n."content")) AS "continuum_changed" FROM "continuum_old_rows" AS o FULL JOIN "continuum_new_rows" AS n ON o."id" = n."id" LEFT JOIN "public"."article" AS l ON l."id" = n."id" OFFSET 0) AS j WHERE j."continuum_changed"), "closed" AS (UPDATE "public"."article_version" AS v SET "end_transaction_id" = $1 FROM "pairs" AS p WHERE v."id" = p."n1" AND v."end_transaction_id" IS NULL AND v."transaction_id" <> $1 RETURNING v."transaction_id"), "merged" AS (INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") SELECT p."n1", p."n2", p."n3", $1, NULL, 1, p."m1", p."m2" FROM "pairs" AS p) SELECT max("transaction_id") FROM "closed"$sql$ INTO v_previous USING continuum_fn.v_tx;
                ELSE
                    EXECUTE $sql$WITH "pairs" AS MATERIALIZED (SELECT j."n1", j."n2", j."n3", j."m1", j."m2" FROM (SELECT CASE WHEN l."id" IS NULL THEN n."id" ELSE l."id" END AS "n1", CASE WHEN l."id" IS NULL THEN n."name" ELSE l."name" END AS "n2", CASE WHEN l."id" IS NULL THEN n."content" ELSE l."content" END AS "n3", NOT pg_catalog.record_image_eq(ROW(o."name"), ROW(CASE WHEN l."id" IS NULL THEN n."name" ELSE l."name" END)) AS "m1", NOT pg_catalog.record_image_eq(ROW(o."content"), ROW(CASE WHEN l."id" IS NULL THEN n."content" ELSE l."content" END)) AS "m2", o."id" IS NOT NULL AND n."id" IS NOT NULL AND NOT pg_catalog.record_image_eq(ROW(o."id", o."name", o."content"), ROW(n."id", n."name", n."content")) AS "continuum_changed" FROM "continuum_old_rows" AS o FULL JOIN "continuum_new_rows" AS n ON o."id" = n."id" LEFT JOIN "public"."article" AS l ON l."id" = n."id" OFFSET 0) AS j WHERE j."continuum_changed"), "closed" AS (UPDATE "public"."article_version" AS v SET "end_transaction_id" = $1 FROM "pairs" AS p WHERE v."id" = p."n1" AND v."end_transaction_id" IS NULL AND v."transaction_id" <> $1 RETURNING v."transaction_id"), "merged" AS (INSERT INTO "public"."article_version" ("id", "name", "content", "transaction_id", "end_transaction_id", "operation_type", "name_mod", "content_mod") SELECT p."n1", p."n2", p."n3", $1, NULL, 1, p."m1", p."m2" FROM "pairs" AS p ON CONFLICT ("id", "transaction_id") DO UPDATE SET "name" = EXCLUDED."name", "content" = EXCLUDED."content", "name_mod" = "public"."article_version"."name_mod" OR EXCLUDED."name_mod", "content_mod" = "public"."article_version"."content_mod" OR EXCLUDED."content_mod") SELECT max("transaction_id") FROM "closed"$sql$ INTO v_previous USING continuum_fn.v_tx;
                END IF;
                IF continuum_fn.v_previous > continuum_fn.v_tx THEN
                    v_tx := "public"."_continuum_renumber_transaction"(continuum_fn.v_tx);
                END IF;
            END IF;
            RETURN NULL;
        END
        $continuum$
        """#,
        #"REVOKE ALL ON FUNCTION "public"."_continuum_article_version_update"() FROM PUBLIC"#,
        #"CREATE OR REPLACE FUNCTION "public"."_continuum_article_key_moved"() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $continuum$ BEGIN RETURN NULL; END $continuum$"#,
        #"REVOKE ALL ON FUNCTION "public"."_continuum_article_key_moved"() FROM PUBLIC"#,
        #"DROP TRIGGER IF EXISTS "continuum_insert_delete" ON "public"."article""#,
        #"DROP TRIGGER IF EXISTS "continuum_update" ON "public"."article""#,
        #"DROP TRIGGER IF EXISTS "continuum_columns" ON "public"."article""#,
        #"DROP TRIGGER IF EXISTS "continuum_row_columns" ON "public"."article""#,
        #"DROP TRIGGER IF EXISTS "continuum_truncate" ON "public"."article""#,
        #"CREATE TRIGGER "continuum_insert_delete" AFTER INSERT OR DELETE ON "public"."article" FOR EACH ROW EXECUTE FUNCTION "public"."_continuum_article_version"()"#,
        #"CREATE TRIGGER "continuum_truncate" BEFORE TRUNCATE ON "public"."article" FOR EACH STATEMENT EXECUTE FUNCTION "public"."_continuum_article_version_truncate"()"#,
        #"CREATE TRIGGER "continuum_update" AFTER UPDATE ON "public"."article" REFERENCING OLD TABLE AS "continuum_old_rows" NEW TABLE AS "continuum_new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "public"."_continuum_article_version_update"()"#,
        #"CREATE TRIGGER "continuum_columns" AFTER UPDATE ON "public"."article" FOR EACH ROW WHEN (false AND (OLD."id" IS NULL AND OLD."name" IS NULL AND OLD."content" IS NULL)) EXECUTE FUNCTION "public"."_continuum_article_key_moved"()"#,
        #"ALTER TABLE "public"."article" DISABLE TRIGGER "continuum_columns""#,
    ]
}
