import Foundation
import SQLKit

/// Which transactions of the log to read with ``VersioningEngine/transactions(matching:limit:on:)``.
/// Every criterion is optional; the ones given must all hold.
public struct TransactionFilter: Sendable, Hashable {
    /// Only transactions of this actor (`user_id`).
    public var userID: String?
    /// Only transactions that changed this entity (`transaction_changes.entity_name`; a
    /// versioned table's ``VersionedTable/entityName``).
    public var entityName: String?
    /// Only transactions issued at or after this date.
    public var since: Date?
    /// Only transactions issued before this date.
    public var until: Date?
    /// Only transactions with a smaller id (for paging: pass the last id seen).
    public var before: Int?

    public init(userID: String? = nil, entityName: String? = nil, since: Date? = nil, until: Date? = nil, before: Int? = nil) {
        self.userID = userID
        self.entityName = entityName
        self.since = since
        self.until = until
        self.before = before
    }
}

extension VersioningEngine {
    /// The transactions of the log that match `filter`, newest first, with their meta and
    /// changed entities; at most `limit` of them. Three queries, whatever the limit.
    ///
    /// ```swift
    /// let lastWeek = try await engine.transactions(matching: .init(userID: "42", since: weekAgo), limit: 50, on: sql)
    /// ```
    public func transactions(matching filter: TransactionFilter, limit: Int = 100, on database: any SQLDatabase) async throws -> [TransactionRecord] {
        let dialect = try SQLDialectKind(database)
        func timestamp(_ date: Date) -> SQLQueryString {
            dialect == .postgresql ? "CAST(\(bind: Self.naiveUTC(date)) AS timestamp)" : "\(bind: Self.naiveUTC(date))"
        }
        var query: SQLQueryString = "SELECT t.\"id\" AS \"id\" FROM \(ident: self.configuration.transactionTable) AS t WHERE 1 = 1"
        let equals = dialect.named("=")
        if let userID = filter.userID { query = query + " AND t.\"user_id\" \(unsafeRaw: equals) \(bind: userID)" }
        if let before = filter.before { query = query + " AND t.\"id\" < \(bind: before)" }
        if let since = filter.since { query = query + " AND t.\"issued_at\" >= " + timestamp(since) }
        if let until = filter.until { query = query + " AND t.\"issued_at\" < " + timestamp(until) }
        if let entity = filter.entityName {
            query =
                query + """
                     AND EXISTS (SELECT 1 FROM \(ident: self.configuration.transactionChangesTable) AS c \
                    WHERE c."transaction_id" = t."id" AND c."entity_name" \(unsafeRaw: equals) \(bind: entity))
                    """
        }
        query = query + " ORDER BY t.\"id\" DESC LIMIT \(bind: max(0, limit))"
        let ids = try await database.raw(query).all().map { try $0.decode(column: "id", as: Int.self) }
        guard let highest = ids.first, let lowest = ids.last else { return [] }
        // Every transaction between the two ids, filtered to the matching ones: contiguous when
        // the filter matches densely; a sparse match reads one page per matching id.
        if highest - lowest < 4 * ids.count {
            let wanted = Set(ids)
            return try await self.transactions(before: highest + 1, limit: highest - lowest + 1, on: database).filter { wanted.contains($0.id) }
        }
        var records: [TransactionRecord] = []
        for id in ids {
            if let record = try await self.transaction(id: id, on: database) { records.append(record) }
        }
        return records
    }
}
