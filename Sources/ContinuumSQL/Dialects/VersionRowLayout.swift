/// The one, dialect-neutral description of a version table: its columns, their kinds, and the
/// value every versioning event writes into each of them. The dialects render it (DDL, trigger
/// bodies, PL/pgSQL functions); none of them lists a version table's columns itself.
///
/// Each column says
/// - what it holds (``VersionColumn/Kind``: a versioned column of the live table, a
///   transaction id, the operation, a `_mod` flag), from which each dialect writes its type;
/// - the value each event writes into a new version row (``VersionColumn/written``);
/// - the assignment made when the event meets a version of the same key that the same transaction
///   already wrote (``VersionColumn/merged``: one version per key and transaction), or `nil`
///   to keep the value already there.
///
/// Adding a column to every version row is one entry in ``init(_:)``: the version table, both
/// dialects' triggers and functions, and `sync` of existing version tables then follow.
struct VersionRowLayout: Sendable {
    /// The version table's columns, in the order they are created and inserted.
    let columns: [VersionColumn]
    /// The key columns of the live table: with `transaction_id`, the version table's primary key.
    let key: [ColumnDescription]

    init(_ plan: VersioningPlan) {
        var columns = plan.columns.map { column in
            VersionColumn(
                name: column.name, kind: .live(column),
                written: .same(.row(column)),
                // A key never changes within a version: the conflict is on it.
                merged: column.isPrimaryKey ? .none : .same(.incoming(column))
            )
        }
        columns.append(
            VersionColumn(
                name: VersioningPlan.transactionColumn, kind: .transactionID,
                written: .same(.transactionID), merged: .none
            ))
        columns.append(
            VersionColumn(
                name: VersioningPlan.endTransactionColumn, kind: .endTransactionID,
                written: .same(.null), merged: .none
            ))
        columns.append(
            VersionColumn(
                name: VersioningPlan.operationColumn, kind: .operation,
                written: .init(insert: .operation(.insert), update: .operation(.update), delete: .operation(.delete)),
                // A row inserted after this transaction deleted its key is an update of the key;
                // an update merged into the transaction's version keeps that version's operation.
                merged: .init(insert: .operation(.update), update: nil, delete: .operation(.delete))
            ))
        if plan.tracksModifiedColumns {
            for column in plan.modifiableColumns {
                let flag = VersionValue.kept(column.modColumn)
                columns.append(
                    VersionColumn(
                        name: column.modColumn, kind: .modifiedFlag(column),
                        written: .init(insert: .isSet(column), update: .differs(.before(column), .row(column)), delete: .true),
                        merged: .init(
                            insert: .or(flag, .differs(.kept(column.name, column), .incoming(column))),
                            update: .or(flag, .incomingFlag(column.modColumn)),
                            delete: .true
                        )
                    ))
            }
        }
        self.columns = columns
        self.key = plan.primaryKey
    }

    /// `"c1", "c2", ...`: the column list of a version-row insert.
    var columnList: String { self.columns.map { SQLText.identifier($0.name) }.joined(separator: ", ") }

    /// `"k1", "k2", "transaction_id"`: the version table's primary key, the conflict target of
    /// every version-row insert.
    var conflictTarget: String {
        (self.key.map(\.name) + [VersioningPlan.transactionColumn]).map(SQLText.identifier).joined(separator: ", ")
    }

    /// The values of a new version row written by `event`, in column order.
    func written(_ event: VersionEvent) -> [VersionValue] { self.columns.map { $0.written[event] } }

    /// The assignments of `event` merged into the transaction's existing version of the key, in
    /// column order (columns the merge keeps are left out).
    func merged(_ event: VersionEvent) -> [(column: VersionColumn, value: VersionValue)] {
        self.columns.compactMap { column in column.merged[event].map { (column, $0) } }
    }

    /// The versioned columns whose value before an update `event` reads, in column order.
    func columnsReadBefore(_ event: VersionEvent) -> [ColumnDescription] {
        var seen: Set<String> = []
        return self.columns.flatMap { $0.written[event].before }.filter { seen.insert($0.name).inserted }
    }
}

/// What happened to a row, as history records it.
enum VersionEvent: Sendable, Hashable, CaseIterable {
    /// A row appeared under a key (an INSERT, the new key of a key change).
    case insert
    /// A row changed in place, keeping its key.
    case update
    /// A row disappeared from a key (a DELETE, TRUNCATE, the old key of a key change).
    case delete

    /// The value of `operation_type` (SQLAlchemy-Continuum's `Operation`).
    var operationType: Int {
        switch self {
        case .insert: 0
        case .update: 1
        case .delete: 2
        }
    }
}

/// One column of a version table, see ``VersionRowLayout``.
struct VersionColumn: Sendable {
    /// What a column holds, which decides its SQL type in each dialect.
    enum Kind: Sendable {
        /// A versioned column of the live table, of the live column's type.
        case live(ColumnDescription)
        /// `transaction_id`: the transaction that wrote the version.
        case transactionID
        /// `end_transaction_id`: the transaction that replaced it, `NULL` while it is current.
        case endTransactionID
        /// `operation_type`: 0 insert, 1 update, 2 delete.
        case operation
        /// `<column>_mod`: whether the version changed the column.
        case modifiedFlag(ColumnDescription)
        /// A small integer of the engine's own, `NULL` in the versions written before the column
        /// was added.
        case smallInt
    }

    /// The value each event writes into a new version row.
    struct Written: Sendable {
        var insert: VersionValue
        var update: VersionValue
        var delete: VersionValue

        static func same(_ value: VersionValue) -> Self { .init(insert: value, update: value, delete: value) }

        subscript(event: VersionEvent) -> VersionValue {
            switch event {
            case .insert: self.insert
            case .update: self.update
            case .delete: self.delete
            }
        }
    }

    /// The assignment each event makes when it merges into the transaction's version of the
    /// key; `nil` keeps the value already there.
    struct Merged: Sendable {
        var insert: VersionValue?
        var update: VersionValue?
        var delete: VersionValue?

        static func same(_ value: VersionValue) -> Self { .init(insert: value, update: value, delete: value) }
        static let none = Merged(insert: nil, update: nil, delete: nil)

        subscript(event: VersionEvent) -> VersionValue? {
            switch event {
            case .insert: self.insert
            case .update: self.update
            case .delete: self.delete
            }
        }
    }

    let name: String
    let kind: Kind
    /// What each event writes into a new version row (every event writes every column).
    let written: Written
    /// What each event assigns when it merges into the transaction's version of the key.
    let merged: Merged
}

/// Where a dialect reads the parts of a version row from, in one statement it generates.
struct VersionRowSources {
    /// A column of the row the event records (`NEW."c"`, `continuum_fn.v_row."c"`).
    var row: (ColumnDescription) -> String
    /// A column of the row before an update (`OLD."c"`, an alias of the old value).
    var before: (ColumnDescription) -> String = { _ in preconditionFailure("no row before this event") }
    /// The id of the writing transaction (`s."transaction_id"`, `continuum_fn.v_tx`, `$1`).
    var transactionID: String
    /// The version table, as a merge's assignments name it (its existing version row).
    var kept: String = ""
    /// The row a merge brings (`excluded`, `EXCLUDED`).
    var incoming: String = "EXCLUDED"
    /// SQLite: a column of the key's previous open version, by name (`p."c"` of a join, or a
    /// scalar subquery): an `INSERT OR REPLACE` replaces a live row without a delete, and its
    /// version is then an update.
    var replaced: ((String) -> String)? = nil
}

/// An abstract value of a version row, rendered by each dialect into its own SQL: `NEW."c"` in
/// an SQLite trigger, `continuum_fn.v_row."c"` in a PL/pgSQL function, `p."n1"` in a
/// set-based statement, and so on.
indirect enum VersionValue: Sendable {
    /// The column's value in the row the event records: the new row of an insert or update,
    /// the removed row of a delete.
    case row(ColumnDescription)
    /// The column's value before an update.
    case before(ColumnDescription)
    /// The id of the transaction writing the version.
    case transactionID
    case null
    case `true`
    /// The `operation_type` of an event.
    case operation(VersionEvent)
    /// Whether the recorded row's value of the column is not `NULL` (the flag of an insert).
    case isSet(ColumnDescription)
    /// In a merge: the value the transaction's version already holds in the named column (of
    /// the given versioned column's kind, for comparisons).
    case kept(String, ColumnDescription? = nil)
    /// In a merge: the value the event brings for a versioned column.
    case incoming(ColumnDescription)
    /// In a merge: the flag the event brings (`EXCLUDED."c_mod"`).
    case incomingFlag(String)
    /// Whether two values of a versioned column differ as stored (the dialect's comparison).
    case differs(VersionValue, VersionValue)
    case or(VersionValue, VersionValue)

    /// The columns whose value before an update this value reads.
    var before: [ColumnDescription] {
        switch self {
        case .before(let column): [column]
        case .differs(let a, let b), .or(let a, let b): a.before + b.before
        default: []
        }
    }

    /// Whether the value reads the row the event records or the row before it (rather than
    /// being the same for every row of a statement).
    var readsRows: Bool {
        switch self {
        case .row, .before, .isSet: true
        case .differs(let a, let b), .or(let a, let b): a.readsRows || b.readsRows
        default: false
        }
    }

    /// The versioned column a comparison is about.
    var comparedColumn: ColumnDescription? {
        switch self {
        case .row(let column), .before(let column), .isSet(let column), .incoming(let column): column
        case .kept(_, let column): column
        default: nil
        }
    }
}
