extension VersioningPlan {
    /// Closes every version a later version of the same key follows, in a version table whose
    /// chains were never maintained (no row has an `end_transaction_id`): SQLAlchemy-Continuum
    /// never writes it for association (many-to-many) tables. Run when `enable` adopts an
    /// existing version table, so its chains read right at every moment and `verify` accepts
    /// them. A table whose chains are maintained is left alone: a gap there is damage for
    /// `verify` to report, not something to paper over.
    func repairChainsStatement(qualifiedVersionTable table: String, dialect: SQLDialectKind) -> String {
        let sameKey = self.table.primaryKey
            .map { $0.equals("later.\(SQLText.identifier($0.name))", "\(table).\(SQLText.identifier($0.name))", in: dialect) }
            .joined(separator: " AND ")
        let later = "FROM \(table) AS later WHERE \(sameKey) AND later.\"transaction_id\" > \(table).\"transaction_id\""
        return """
            UPDATE \(table) SET "end_transaction_id" = (SELECT MIN(later."transaction_id") \(later)) \
            WHERE "end_transaction_id" IS NULL AND EXISTS (SELECT 1 \(later)) \
            AND NOT EXISTS (SELECT 1 FROM \(table) AS maintained WHERE maintained."end_transaction_id" IS NOT NULL)
            """
    }
}
