/// A column of a live table, as the database reports it.
public struct ColumnDescription: Sendable, Hashable, Codable {
    /// The column's name.
    public var name: String
    /// The declared type: `pragma_table_info` on SQLite, `format_type` on PostgreSQL.
    public var type: String
    /// Whether the column is declared `NOT NULL`.
    public var isNotNull: Bool
    /// The column's 1-based position in the primary key, or 0 when it is not part of it.
    public var primaryKeyPosition: Int
    /// PostgreSQL only: the type has no equality operator (json, point, xml, composite types,
    /// arrays of those), so change detection compares its text form.
    public var comparesAsText: Bool
    /// PostgreSQL, key columns only: the schema of the equality operator of the primary key's
    /// operator class when it is not `pg_catalog` (a `citext` key's `=` lives where the extension
    /// was installed). Generated functions run with `search_path = pg_catalog, pg_temp`, so they
    /// name that operator with its schema.
    public var equalityOperatorSchema: String?
    /// PostgreSQL: a generated column (`GENERATED ALWAYS AS (...) STORED`). Its values are
    /// versioned, but no revert writes it: the database computes it again. (SQLite does not list
    /// generated columns in `pragma_table_info`, so they are not versioned there.)
    public var isGenerated: Bool
    /// PostgreSQL: an identity column `GENERATED ALWAYS`. A revert that inserts a row again
    /// keeps its value (`OVERRIDING SYSTEM VALUE`) and never updates it.
    public var isIdentityAlways: Bool

    public init(
        name: String, type: String, isNotNull: Bool, primaryKeyPosition: Int, comparesAsText: Bool = false,
        equalityOperatorSchema: String? = nil, isGenerated: Bool = false, isIdentityAlways: Bool = false
    ) {
        self.name = name
        self.type = type
        self.isNotNull = isNotNull
        self.primaryKeyPosition = primaryKeyPosition
        self.comparesAsText = comparesAsText
        self.equalityOperatorSchema = equalityOperatorSchema
        self.isGenerated = isGenerated
        self.isIdentityAlways = isIdentityAlways
    }

    private enum CodingKeys: String, CodingKey {
        case name, type, isNotNull, primaryKeyPosition, comparesAsText, equalityOperatorSchema, isGenerated, isIdentityAlways
    }

    // Registry entries written before a field existed decode it with its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decode(String.self, forKey: .name)
        self.type = try container.decode(String.self, forKey: .type)
        self.isNotNull = try container.decode(Bool.self, forKey: .isNotNull)
        self.primaryKeyPosition = try container.decode(Int.self, forKey: .primaryKeyPosition)
        self.comparesAsText = try container.decodeIfPresent(Bool.self, forKey: .comparesAsText) ?? false
        self.equalityOperatorSchema = try container.decodeIfPresent(String.self, forKey: .equalityOperatorSchema)
        self.isGenerated = try container.decodeIfPresent(Bool.self, forKey: .isGenerated) ?? false
        self.isIdentityAlways = try container.decodeIfPresent(Bool.self, forKey: .isIdentityAlways) ?? false
    }

    /// Whether a revert may give this column a value in an `UPDATE`: not a generated column,
    /// not an identity column `GENERATED ALWAYS`.
    public var isUpdatable: Bool { !self.isGenerated && !self.isIdentityAlways }

    /// `a = b` for values of this column, with the equality operator named by its schema when
    /// it is not `pg_catalog`'s.
    func equals(_ a: String, _ b: String) -> String {
        guard let schema = self.equalityOperatorSchema else { return "\(a) = \(b)" }
        return "\(a) OPERATOR(\(SQLText.identifier(schema)).=) \(b)"
    }

    /// `a = b` for values of this column in SQL the engine sends itself: on PostgreSQL the
    /// operator is always named with its schema (`pg_catalog`'s unless the type's own), because
    /// the caller's search path may name a schema where others can create a better match
    /// (`varchar` has no `=` of its own) that would run as the caller.
    func equals(_ a: String, _ b: String, in dialect: SQLDialectKind) -> String {
        "\(a) \(dialect.named("=", schema: self.equalityOperatorSchema)) \(b)"
    }

    /// Whether the column is part of the primary key.
    public var isPrimaryKey: Bool { self.primaryKeyPosition > 0 }
}

/// A live table, as the database reports it.
public struct TableDescription: Sendable, Hashable {
    /// PostgreSQL: the schema holding the table; `nil` on SQLite.
    public var schema: String?
    /// The table's name.
    public var name: String
    /// The columns in their declared order.
    public var columns: [ColumnDescription]
    /// SQLite only: the key is a rowid alias declared without `AUTOINCREMENT`, so SQLite may
    /// hand a deleted row's key to a new row, which then continues that key's history.
    public var reusesKeys: Bool
    /// SQLite only: the key is a single `INTEGER PRIMARY KEY` of a rowid table, so an UPDATE
    /// can also change it through `rowid`, `oid` or `_rowid_`.
    public var keyIsRowid: Bool
    /// PostgreSQL only: a plain table outside any inheritance or partitioning. Its updates are
    /// versioned once per statement, from the statement's transition tables; a partitioned
    /// table, a partition and a table with an inheritance parent or child keep a row-level
    /// update trigger, because a statement trigger fires only for the table a statement names
    /// (not for rows reached through a parent, nor on the parent for a statement on a partition).
    public var versionsUpdatesPerStatement: Bool
    /// PostgreSQL only: a partitioned table, whose rows are its partitions'. Any other table's
    /// own rows are read with `ONLY` (``liveRows(_:dialect:)``): an inheritance parent's query
    /// would also return its children's rows, which its triggers never versioned.
    public var isPartitioned: Bool

    public init(
        schema: String?, name: String, columns: [ColumnDescription], reusesKeys: Bool = false, keyIsRowid: Bool = false,
        versionsUpdatesPerStatement: Bool = false, isPartitioned: Bool = false
    ) {
        self.schema = schema
        self.name = name
        self.columns = columns
        self.reusesKeys = reusesKeys
        self.keyIsRowid = keyIsRowid
        self.versionsUpdatesPerStatement = versionsUpdatesPerStatement
        self.isPartitioned = isPartitioned
    }

    /// `quotedName` as the target or source of a query that must see this table's own rows: on
    /// PostgreSQL `ONLY quotedName` unless the table is partitioned.
    func liveRows(_ quotedName: String, dialect: SQLDialectKind) -> String {
        dialect == .postgresql && !self.isPartitioned ? "ONLY " + quotedName : quotedName
    }

    /// The primary-key columns, in key order.
    public var primaryKey: [ColumnDescription] {
        self.columns.filter(\.isPrimaryKey).sorted { $0.primaryKeyPosition < $1.primaryKeyPosition }
    }

    /// The column with this name, if any.
    public func column(named name: String) -> ColumnDescription? {
        self.columns.first { $0.name == name }
    }
}
