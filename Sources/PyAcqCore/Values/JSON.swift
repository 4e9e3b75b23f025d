/// JSON text <-> Value, as Python's `json` module reads and writes it: the bare tokens `NaN`,
/// `Infinity` and `-Infinity` are accepted and emitted (PROTOCOL §3.3). Special types (bytes,
/// ndarray, proxy…) are plain maps at this level; the RPC layer adds the marker-key mapping.
public enum JSON {
    public struct ParseError: Error, CustomStringConvertible {
        public let message: String
        public let offset: Int
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    public static func parse(_ text: String) throws(ParseError) -> Value {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> Value {
        var parser = Parser(bytes: bytes)
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.pos != bytes.count { throw parser.error("unexpected trailing characters") }
        return value
    }

    public struct Style: Sendable {
        /// Python's default separators `", "` and `": "` instead of compact ones.
        public var pythonSeparators = false
        /// Escape every non-ASCII character as `\uXXXX` (Python's `ensure_ascii`).
        public var asciiOnly = false
        /// Pretty-print with this many spaces per level (Python's `indent`); nil = one line.
        public var indent: Int?
        /// Write map keys in sorted order (Python's `sort_keys`).
        public var sortKeys = false
        public init(pythonSeparators: Bool = false, asciiOnly: Bool = false, indent: Int? = nil, sortKeys: Bool = false) {
            self.pythonSeparators = pythonSeparators
            self.asciiOnly = asciiOnly
            self.indent = indent
            self.sortKeys = sortKeys
        }
        public static let compact = Style()
        public static let python = Style(pythonSeparators: true, asciiOnly: true)
    }

    public struct EncodeError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Encodes plain values; bytes, ndarrays, proxies and dates must have been mapped to marker
    /// maps by the caller (they have no JSON form of their own).
    public static func encode(_ value: Value, style: Style = .compact) throws(EncodeError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        try write(value, into: &out, style: style, depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// The separator between items: `", "` / `","`, or a newline and indentation.
    static func itemBreak(_ style: Style, depth: Int, first: Bool) -> String {
        if let indent = style.indent { return (first ? "" : ",") + "\n" + String(repeating: " ", count: indent * depth) }
        return first ? "" : (style.pythonSeparators ? ", " : ",")
    }

    static func write(_ value: Value, into out: inout [UInt8], style: Style, depth: Int) throws(EncodeError) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .uint(let u): out.append(contentsOf: String(u).utf8)
        case .double(let d): out.append(contentsOf: formatDouble(d).utf8)
        case .string(let s): writeString(s, into: &out, asciiOnly: style.asciiOnly)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                out.append(contentsOf: itemBreak(style, depth: depth + 1, first: i == 0).utf8)
                try write(item, into: &out, style: style, depth: depth + 1)
            }
            if !items.isEmpty, style.indent != nil { out.append(contentsOf: itemBreak(style, depth: depth, first: true).utf8) }
            out.append(UInt8(ascii: "]"))
        case .map(let map):
            out.append(UInt8(ascii: "{"))
            let entries = style.sortKeys ? map.entries.sorted { $0.key < $1.key } : map.entries
            for (i, entry) in entries.enumerated() {
                out.append(contentsOf: itemBreak(style, depth: depth + 1, first: i == 0).utf8)
                writeString(entry.key, into: &out, asciiOnly: style.asciiOnly)
                out.append(contentsOf: (style.pythonSeparators || style.indent != nil ? ": " : ":").utf8)
                try write(entry.value, into: &out, style: style, depth: depth + 1)
            }
            if !entries.isEmpty, style.indent != nil { out.append(contentsOf: itemBreak(style, depth: depth, first: true).utf8) }
            out.append(UInt8(ascii: "}"))
        case .bytes, .ndarray, .proxy, .datetime, .date:
            throw EncodeError(message: "a \(value.kindName) value has no plain JSON form")
        }
    }

    /// Shortest text that reads back to the same double, as Python's `repr(float)`.
    public static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        return d.description
    }

    static func writeString(_ s: String, into out: inout [UInt8], asciiOnly: Bool) {
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".utf8)
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case "\n": out.append(contentsOf: "\\n".utf8)
            case "\r": out.append(contentsOf: "\\r".utf8)
            case "\t": out.append(contentsOf: "\\t".utf8)
            case "\u{08}": out.append(contentsOf: "\\b".utf8)
            case "\u{0C}": out.append(contentsOf: "\\f".utf8)
            default:
                if scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        appendEscape(UInt16(0xD800 + (v >> 10)), into: &out)
                        appendEscape(UInt16(0xDC00 + (v & 0x3FF)), into: &out)
                    } else {
                        appendEscape(UInt16(scalar.value), into: &out)
                    }
                } else {
                    out.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func appendEscape(_ unit: UInt16, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(contentsOf: "\\u".utf8)
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hex[Int((unit >> UInt16(shift)) & 0xF)]) }
    }

    struct Parser {
        let bytes: [UInt8]
        var pos = 0
        static let maxDepth = 512

        func error(_ message: String) -> ParseError { ParseError(message: message, offset: pos) }

        mutating func skipWhitespace() {
            while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
        }

        mutating func consume(_ literal: String) -> Bool {
            let lit = Array(literal.utf8)
            guard pos + lit.count <= bytes.count, Array(bytes[pos..<pos + lit.count]) == lit else { return false }
            pos += lit.count
            return true
        }

        mutating func parseValue(depth: Int) throws(ParseError) -> Value {
            if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth)") }
            skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of input") }
            switch bytes[pos] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): if consume("true") { return .bool(true) }
            case UInt8(ascii: "f"): if consume("false") { return .bool(false) }
            case UInt8(ascii: "n"): if consume("null") { return .null }
            case UInt8(ascii: "N"): if consume("NaN") { return .double(.nan) }
            case UInt8(ascii: "I"): if consume("Infinity") { return .double(.infinity) }
            default: return try parseNumber()
            }
            throw error("unknown literal")
        }

        mutating func parseObject(depth: Int) throws(ParseError) -> Value {
            pos += 1
            var map = ValueMap()
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .map(map) }
            while true {
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try parseString()
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
                pos += 1
                map[key] = try parseValue(depth: depth + 1)
                skipWhitespace()
                guard pos < bytes.count else { throw error("unterminated object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .map(map) }
                throw error("expected ',' or '}'")
            }
        }

        mutating func parseArray(depth: Int) throws(ParseError) -> Value {
            pos += 1
            var items: [Value] = []
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard pos < bytes.count else { throw error("unterminated array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        }

        mutating func parseHex4() throws(ParseError) -> UInt32 {
            guard pos + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[pos]
                let digit: UInt32
                switch c {
                case 0x30...0x39: digit = UInt32(c - 0x30)
                case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
                default: throw error("bad hex digit in \\u escape")
                }
                v = v << 4 | digit
                pos += 1
            }
            return v
        }

        mutating func parseString() throws(ParseError) -> String {
            pos += 1
            var out: [UInt8] = []
            while pos < bytes.count {
                let c = bytes[pos]
                pos += 1
                switch c {
                case UInt8(ascii: "\""):
                    guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    guard pos < bytes.count else { throw error("truncated escape") }
                    let e = bytes[pos]
                    pos += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var code = try parseHex4()
                        if (0xD800..<0xDC00).contains(code), consume("\\u") {
                            let low = try parseHex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw error("bad surrogate pair") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                        out.append(contentsOf: String(scalar).utf8)
                    default: throw error("unknown escape")
                    }
                default:
                    if c < 0x20 { throw error("control character in string") }
                    out.append(c)
                }
            }
            throw error("unterminated string")
        }

        mutating func parseNumber() throws(ParseError) -> Value {
            let start = pos
            if consume("-Infinity") { return .double(-.infinity) }
            var isInteger = true
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            while pos < bytes.count {
                let c = bytes[pos]
                if c >= 0x30 && c <= 0x39 { pos += 1; continue }
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                    || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && pos > start) {
                    isInteger = false
                    pos += 1
                    continue
                }
                break
            }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            if text.isEmpty || text == "-" { pos = start; throw error("unexpected character") }
            if isInteger {
                if let i = Int64(text) { return .int(i) }
                if let u = UInt64(text) { return .uint(u) }
            }
            guard let d = Double(text) else { pos = start; throw error("malformed number '\(text)'") }
            return .double(d)
        }
    }
}

extension Value {
    /// Parses JSON text, naming `what` in the error (e.g. "stream params").
    public static func fromJSON(_ text: String, what: String) throws(PyAcqError) -> Value {
        do { return try JSON.parse(text) } catch {
            throw PyAcqError(.badParams, "\(what): \(error)")
        }
    }

    public func jsonText(style: JSON.Style = .compact) throws(PyAcqError) -> String {
        do { return try JSON.encode(self, style: style) } catch {
            throw PyAcqError(.badParams, error.message)
        }
    }
}
