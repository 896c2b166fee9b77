#if Vapor
    @_exported import FluentContinuum
    @_exported import Fluent
    @_exported import Vapor
#endif
