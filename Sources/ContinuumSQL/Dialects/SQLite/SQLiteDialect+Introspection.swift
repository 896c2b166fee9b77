import SQLKit

/// SQLite's catalog (`sqlite_master`, `pragma_table_info`), read for ``Introspector``.
extension SQLiteDialect {
    static func currentSchema(on database: any SQLDatabase) async throws -> String? { nil }

    static func tableExists(_ table: String, on database: any SQLDatabase) async throws -> Bool {
        try await database.raw(
            "SELECT 1 AS \"found\" FROM \"sqlite_master\" WHERE \"type\" = 'table' AND \"name\" = \(bind: table)"
        ).first() != nil
    }

    static func describe(_ table: String, on database: any SQLDatabase) async throws -> TableDescription? {
        guard
            let master = try await database.raw(
                "SELECT \"sql\" FROM \"sqlite_master\" WHERE \"type\" = 'table' AND \"name\" = \(bind: table)"
            ).first()
        else { return nil }
        let sql = try master.decode(column: "sql", as: String?.self) ?? ""
        let rows = try await database.raw(
            "SELECT \"name\", \"type\", \"notnull\", \"pk\" FROM pragma_table_info(\(bind: table))"
        ).all()
        let columns = try rows.map { row in
            ColumnDescription(
                name: try row.decode(column: "name", as: String.self),
                type: try row.decode(column: "type", as: String.self),
                isNotNull: try row.decode(column: "notnull", as: Int.self) != 0,
                primaryKeyPosition: try row.decode(column: "pk", as: Int.self)
            )
        }
        let key = columns.filter(\.isPrimaryKey)
        let upper = sql.uppercased()
        let keyIsRowid = key.count == 1 && key[0].type.uppercased() == "INTEGER" && !upper.contains("WITHOUT ROWID")
        let reusesKeys = keyIsRowid && !upper.contains("AUTOINCREMENT")
        return TableDescription(schema: nil, name: table, columns: columns, reusesKeys: reusesKeys, keyIsRowid: keyIsRowid)
    }

    static var failedStatementAbortsTransaction: Bool { false }

    static func referencedTables(_ table: String, on database: any SQLDatabase) async throws -> Set<String> {
        let rows = try await database.raw("SELECT \"table\" AS \"parent\" FROM pragma_foreign_key_list(\(bind: table))").all()
        return Set(try rows.map { try $0.decode(column: "parent", as: String.self) })
    }

    static func unsupportedRelationKind(_ name: String, on database: any SQLDatabase) async throws -> String? {
        guard
            let row = try await database.raw(
                "SELECT \"type\", \"sql\" FROM \"sqlite_master\" WHERE \"name\" = \(bind: name) AND \"type\" IN ('table', 'view')"
            ).first()
        else { return nil }
        if try row.decode(column: "type", as: String.self) == "view" { return "view" }
        let sql = try row.decode(column: "sql", as: String?.self) ?? ""
        return sql.uppercased().hasPrefix("CREATE VIRTUAL TABLE") ? "virtual table" : nil
    }

    static func triggers(on table: String, in database: any SQLDatabase) async throws -> Set<String> {
        let rows = try await database.raw(
            "SELECT \"name\" FROM \"sqlite_master\" WHERE \"type\" = 'trigger' AND \"tbl_name\" = \(bind: table)"
        ).all()
        return Set(try rows.map { try $0.decode(column: "name", as: String.self) })
    }
}
