@_exported import ContinuumSQL
