/// The variables of one generated PL/pgSQL function as queries read them: qualified with the
/// function's block label, which differs from the name of every table the function reads, so
/// that no user column (a column named `v_tx`, `v_row`, `new`, ...) can capture a variable.
/// Each function body starts with ``header``: `#variable_conflict use_column` makes an
/// unqualified name in a query a column, never a variable.
struct Variables: Sendable {
    let label: String

    init(_ plan: VersioningPlan, _ configuration: VersioningConfiguration) {
        let taken: Set<String> = [plan.table.name, plan.versionTable, configuration.transactionTable, configuration.transactionChangesTable]
        var label = "continuum_fn"
        while taken.contains(label) { label += "_" }
        self.label = label
    }

    var header: String { "#variable_conflict use_column\n<<\(self.label)>>" }
    func qualified(_ name: String) -> String { "\(self.label).\(name)" }
    var tx: String { self.qualified("v_tx") }
    var previous: String { self.qualified("v_previous") }
}
