import Foundation
import SQLKit

/// PostgreSQL's catalogs, read for ``Introspector``.
extension PostgreSQLDialect {
    static func currentSchema(on database: any SQLDatabase) async throws -> String? {
        let row = try await database.raw("SELECT current_schema()::text AS \"name\"").first()
        guard let name = try row?.decode(column: "name", as: String?.self) else {
            throw ContinuumError.noCurrentSchema
        }
        return name
    }

    static func tableExists(_ table: String, on database: any SQLDatabase) async throws -> Bool {
        try await database.raw(
            "SELECT 1 AS \"found\" FROM pg_class WHERE oid = CAST(pg_catalog.to_regclass(\(bind: SQLText.identifier(table))) AS oid) AND relkind IN ('r', 'p')"
        ).first() != nil
    }

    static func describe(_ table: String, on database: any SQLDatabase) async throws -> TableDescription? {
        let regclass = SQLText.identifier(table)
        guard
            let relation = try await database.raw(
                """
                SELECT n.nspname::text AS "schema",
                       c.relkind = 'r' AND NOT c.relispartition
                       AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid OR i.inhparent = c.oid)
                       AS "per_statement",
                       c.relkind = 'p' AS "partitioned"
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid = CAST(pg_catalog.to_regclass(\(bind: regclass)) AS oid) AND c.relkind IN ('r', 'p')
                """
            ).first()
        else { return nil }
        let schema = try relation.decode(column: "schema", as: String.self)
        let perStatement = try relation.decode(column: "per_statement", as: Bool.self)
        let partitioned = try relation.decode(column: "partitioned", as: Bool.self)
        let rows = try await database.raw(
            """
            SELECT a.attname::text AS "name", format_type(a.atttypid, a.atttypmod) AS "type", a.attnotnull AS "not_null",
                   COALESCE((SELECT k.n FROM unnest(pk.indkey) WITH ORDINALITY AS k(attnum, n) WHERE k.attnum = a.attnum), 0)::int8 AS "pk",
                   NOT (et.typtype = 'e' OR EXISTS (SELECT 1 FROM pg_operator o
                        WHERE o.oprname = '=' AND o.oprleft = et.oid AND o.oprright = et.oid)) AS "text_compare",
                   a.attgenerated <> '' AS "generated", a.attidentity = 'a' AS "identity_always"
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            JOIN pg_type et ON et.oid = CASE WHEN bt.typcategory = 'A' AND bt.typelem <> 0 THEN bt.typelem ELSE bt.oid END
            LEFT JOIN pg_index pk ON pk.indrelid = a.attrelid AND pk.indisprimary
            WHERE a.attrelid = CAST(pg_catalog.to_regclass(\(bind: regclass)) AS oid) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """
        ).all()
        // The schema of each key column's equality operator, from the primary key's operator classes.
        let operators = try await database.raw(
            """
            SELECT a.attname::text AS "name", n.nspname::text AS "schema"
            FROM pg_index pk
            CROSS JOIN LATERAL unnest(pk.indkey::int2[], pk.indclass::oid[]) AS k(attnum, opclass)
            JOIN pg_attribute a ON a.attrelid = pk.indrelid AND a.attnum = k.attnum
            JOIN pg_opclass oc ON oc.oid = k.opclass
            JOIN pg_amop ao ON ao.amopfamily = oc.opcfamily AND ao.amopstrategy = 3 AND ao.amopmethod = oc.opcmethod
                AND ao.amoplefttype = oc.opcintype AND ao.amoprighttype = oc.opcintype
            JOIN pg_operator o ON o.oid = ao.amopopr
            JOIN pg_namespace n ON n.oid = o.oprnamespace
            WHERE pk.indrelid = CAST(pg_catalog.to_regclass(\(bind: regclass)) AS oid) AND pk.indisprimary
            """
        ).all()
        var operatorSchemas: [String: String] = [:]
        for row in operators {
            let schema = try row.decode(column: "schema", as: String.self)
            if schema != "pg_catalog" { operatorSchemas[try row.decode(column: "name", as: String.self)] = schema }
        }
        let columns = try rows.map { row in
            let name = try row.decode(column: "name", as: String.self)
            return ColumnDescription(
                name: name,
                type: try row.decode(column: "type", as: String.self),
                isNotNull: try row.decode(column: "not_null", as: Bool.self),
                primaryKeyPosition: try row.decode(column: "pk", as: Int.self),
                comparesAsText: try row.decode(column: "text_compare", as: Bool.self),
                equalityOperatorSchema: operatorSchemas[name],
                isGenerated: try row.decode(column: "generated", as: Bool.self),
                isIdentityAlways: try row.decode(column: "identity_always", as: Bool.self)
            )
        }
        return TableDescription(schema: schema, name: table, columns: columns, versionsUpdatesPerStatement: perStatement, isPartitioned: partitioned)
    }

    static var failedStatementAbortsTransaction: Bool { true }

    static func referencedTables(_ table: String, on database: any SQLDatabase) async throws -> Set<String> {
        let rows = try await database.raw(
            """
            SELECT DISTINCT c.confrelid::regclass::text AS "parent" FROM pg_catalog.pg_constraint c
            WHERE c.contype = 'f' AND c.conrelid = CAST(pg_catalog.to_regclass(\(bind: SQLText.identifier(table))) AS oid)
            """
        ).all()
        // regclass prints a name quoted when it needs quotes.
        return Set(try rows.map { try $0.decode(column: "parent", as: String.self).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) })
    }

    static func unsupportedRelationKind(_ name: String, on database: any SQLDatabase) async throws -> String? {
        let row = try await database.raw(
            "SELECT c.relkind::text AS \"kind\" FROM pg_class c WHERE c.oid = CAST(pg_catalog.to_regclass(\(bind: SQLText.identifier(name))) AS oid)"
        ).first()
        switch try row?.decode(column: "kind", as: String.self) {
        case "v": return "view"
        case "m": return "materialized view"
        case "f": return "foreign table"
        default: return nil
        }
    }

    static func triggers(on table: String, in database: any SQLDatabase) async throws -> Set<String> {
        let rows = try await database.raw(
            "SELECT tgname::text AS \"name\" FROM pg_trigger WHERE tgrelid = CAST(pg_catalog.to_regclass(\(bind: SQLText.identifier(table))) AS oid) AND NOT tgisinternal"
        ).all()
        return Set(try rows.map { try $0.decode(column: "name", as: String.self) })
    }
}
