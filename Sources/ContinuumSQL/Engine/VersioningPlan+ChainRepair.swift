extension VersioningPlan {
    /// Closes every version a later version of the same key follows but whose
    /// `end_transaction_id` is NULL: SQLAlchemy-Continuum never writes it for association
    /// (many-to-many) tables, and its native strategy leaves such gaps too. Run when `enable`
    /// adopts an existing version table, so its chains read right at every moment and `verify`
    /// accepts them. Changes nothing in a version table whose chains are whole.
    func repairChainsStatement(qualifiedVersionTable table: String) -> String {
        let sameKey = self.table.primaryKey
            .map { "later.\(SQLText.identifier($0.name)) = \(table).\(SQLText.identifier($0.name))" }
            .joined(separator: " AND ")
        let later = "FROM \(table) AS later WHERE \(sameKey) AND later.\"transaction_id\" > \(table).\"transaction_id\""
        return """
            UPDATE \(table) SET "end_transaction_id" = (SELECT MIN(later."transaction_id") \(later)) \
            WHERE "end_transaction_id" IS NULL AND EXISTS (SELECT 1 \(later))
            """
    }
}
