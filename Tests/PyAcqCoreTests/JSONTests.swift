import PyAcqCore
import PyAcqTestSupport
import Testing

@Suite struct JSONTests {
    @Test func parsesPythonTokensAndNesting() throws {
        let v = try JSON.parse(#"{"a": [1, -2.5e3, NaN, Infinity, -Infinity], "b": {"c": null, "d": true}, "e": "h\u00e9\n"}"#)
        guard case .array(let a) = v["a"] else { Issue.record("no array"); return }
        #expect(a[0] == .int(1))
        #expect(a[1] == .double(-2500))
        #expect(a[2].doubleValue?.isNaN == true)
        #expect(a[3] == .double(.infinity) && a[4] == .double(-.infinity))
        #expect(v["b"]["c"] == .null && v["b"]["d"] == .bool(true))
        #expect(v["e"] == .string("hé\n"))
    }

    @Test func keepsKeyOrderAndWritesPythonStyle() throws {
        let v = try JSON.parse(#"{"z": 1, "a": [1, "x", null], "m": 0.1}"#)
        #expect(try JSON.encode(v, style: .python) == #"{"z": 1, "a": [1, "x", null], "m": 0.1}"#)
        #expect(try JSON.encode(.string("héllo"), style: .python) == #""h\u00e9llo""#)
        #expect(try JSON.encode(.array([.double(.nan), .uint(18446744073709551615)])) == "[NaN,18446744073709551615]")
    }

    @Test(arguments: ["{", "[1,]", "{\"a\" 1}", "\"abc", "tru", "{\"a\":1} x", "[\"\\x\"]", "-", String(repeating: "[", count: 1000)])
    func rejectsMalformedText(text: String) {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(text) }
    }
}
