import FluentKit
import Foundation

/// One field's value in a version, comparable across versions and decodable to its type.
///
/// Values compare and print canonically: a dictionary's keys are sorted (the same dictionary
/// saved twice is the same value, whatever order its keys came in), and the non-finite numbers
/// keep their identity (`inf`, `-inf`, `nan`) instead of reading as NULL.
public struct FieldValue: Sendable, Hashable, CustomStringConvertible {
    /// The value encoded as a one-element JSON array with sorted keys (non-finite numbers as the
    /// strings `Infinity`, `-Infinity` and `NaN`), or `nil` for NULL.
    let encoded: Data?
    /// How the value prints when JSON would print it wrongly: a non-finite number (`inf`, `-inf`,
    /// `nan`) or a date (ISO 8601, UTC, with fractional seconds); `nil` for any other value.
    let printed: String?

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// The NULL value.
    public static let null = FieldValue(encoded: nil)

    init(encoded: Data?, printed: String? = nil) {
        self.encoded = encoded
        self.printed = printed
    }

    init(_ value: DatabaseQuery.Value) {
        var printed: String?
        switch value {
        case .bind(let bound):
            if let number = bound as? Double, !number.isFinite { printed = number.description }
            if let number = bound as? Float, !number.isFinite { printed = number.description }
            // Printed as ISO 8601 in UTC, not as the encoder's seconds since 2001.
            if let date = bound as? Date { printed = Self.iso8601(date) }
            self.encoded = try? Self.encoder.encode([EncodableBox(bound)])
        case .enumCase(let name): self.encoded = try? Self.encoder.encode([name])
        case .null, .default: self.encoded = nil
        default: self.encoded = try? Self.encoder.encode(["\(value)"])
        }
        self.printed = printed
    }

    private static let infinity = "Infinity"
    private static let negativeInfinity = "-Infinity"
    private static let nan = "NaN"

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: Self.infinity, negativeInfinity: Self.negativeInfinity, nan: Self.nan
        )
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: Self.infinity, negativeInfinity: Self.negativeInfinity, nan: Self.nan
        )
        return decoder
    }

    /// Whether the value is NULL.
    public var isNull: Bool { self.encoded == nil }

    /// The value as `T`, or `nil` when it is NULL.
    ///
    /// - Throws: `DecodingError` when the value is not a `T`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T? {
        guard let encoded else { return nil }
        return try Self.decoder.decode([T].self, from: encoded).first
    }

    /// The value as JSON prints it (`"text"`, `42`, `true`), `NULL`, a non-finite number
    /// (`inf`, `-inf`, `nan`) or a date in ISO 8601 (UTC).
    public var description: String {
        if let printed { return printed }
        guard let encoded else { return "NULL" }
        let text = String(decoding: encoded, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }
}

/// How one field changed from the previous version to this one.
///
/// ```swift
/// let change = try versions[1].change(\.$name)!        // or versions[1].changeset["name"]!
/// try change.old(as: String.self)   // "Some article"
/// try change.new(as: String.self)   // "Updated article"
/// ```
public struct FieldChange: Sendable, Hashable, CustomStringConvertible {
    /// The value in the previous version (NULL for the first version).
    public var old: FieldValue
    /// The value in this version.
    public var new: FieldValue

    /// A change from `old` to `new`.
    public init(old: FieldValue, new: FieldValue) {
        self.old = old
        self.new = new
    }

    /// The previous value as `T`, `nil` when it was NULL or there was no previous version.
    ///
    /// - Throws: `DecodingError` when the value is not a `T`.
    public func old<T: Decodable>(as type: T.Type = T.self) throws -> T? { try self.old.decode(T.self) }
    /// The new value as `T`, `nil` when it is NULL.
    ///
    /// - Throws: `DecodingError` when the value is not a `T`.
    public func new<T: Decodable>(as type: T.Type = T.self) throws -> T? { try self.new.decode(T.self) }

    /// `old → new`, each value printed as ``FieldValue`` prints it.
    public var description: String { "\(self.old) → \(self.new)" }
}

struct EncodableBox: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    /// Encodes through a container, not `value.encode(to:)`, so that the JSON encoder handles the
    /// types it special-cases: `Data` as base64 and `Decimal` as a number, as `decode` reads them.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.value)
    }
}

/// Collects every field of a model as database input, changed or not.
final class InputCollector: DatabaseInput {
    var values: [FieldKey: DatabaseQuery.Value] = [:]
    var wantsUnmodifiedKeys: Bool { true }
    func set(_ value: DatabaseQuery.Value, at key: FieldKey) { self.values[key] = value }

    static func collect(_ fields: some Fields) -> [FieldKey: DatabaseQuery.Value] {
        let collector = InputCollector()
        fields.input(to: collector)
        return collector.values
    }
}
