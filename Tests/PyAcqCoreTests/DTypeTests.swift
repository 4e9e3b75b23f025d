import PyAcqCore
import PyAcqTestSupport
import Testing

@Suite struct DTypeTests {
    @Test(arguments: [
        ("float32", "float32", 4), ("<f4", "float32", 4), ("=f4", "float32", 4), (">f4", ">f4", 4),
        ("int8", "int8", 1), ("|u1", "uint8", 1), ("bool", "bool", 1), ("?", "bool", 1),
        ("|S4", "|S4", 4), ("S4", "|S4", 4), ("<U3", "<U3", 12), ("V8", "|V8", 8),
        ("datetime64[ms]", "datetime64[ms]", 8), ("<M8[ms]", "datetime64[ms]", 8), (">M8[s]", ">M8[s]", 8),
        ("timedelta64[ns]", "timedelta64[ns]", 8), ("complex64", "complex64", 8), ("<c16", "complex128", 16),
        ("float16", "float16", 2), ("i", "int32", 4), ("float", "float64", 8), ("int", "int64", 8),
        ("<i2", "int16", 2), (">i8", ">i8", 8), ("uint64", "uint64", 8),
    ])
    func simpleDTypesRoundTrip(input: String, canonical: String, itemsize: Int) throws {
        let d = try DType(parsing: input)
        #expect(d.description == canonical)
        #expect(d.itemsize == itemsize)
        #expect(try DType(parsing: d.description) == d)
    }

    @Test func structuredDTypeMatchesNumpyStr() throws {
        let text = "[('a', '?'), ('b', 'i1'), ('c', '<f4', (3,)), ('d', 'V2'), ('e', '>u2'), ('f', '<M8[s]'), ('g', '<U2'), ('h', 'S4', (2, 3))]"
        let d = try DType(parsing: text)
        #expect(d.description == text)
        #expect(d.itemsize == 1 + 1 + 12 + 2 + 2 + 8 + 8 + 24)
        #expect(d.fields.map(\.name) == ["a", "b", "c", "d", "e", "f", "g", "h"])
        #expect(d.fields[2].shape == [3])
        #expect(d.fields[3].offset == 14)
    }

    @Test func structuredFromParamsList() throws {
        let list: Value = .array([.array([.string("index"), .string("int64")]), .array([.string("label"), .string("S4")])])
        let d = try DType(list)
        #expect(d.description == "[('index', '<i8'), ('label', 'S4')]")
        #expect(d == (try DType(parsing: "[('index', '<i8'), ('label', '|S4')]")))
        #expect(d.paramValue == .array([.array([.string("index"), .string("int64")]), .array([.string("label"), .string("|S4")])]))
    }

    @Test func normalisedEquality() throws {
        #expect(try DType(parsing: "<f4") == DType(parsing: "float32"))
        #expect(try DType(parsing: ">f4") != DType(parsing: "float32"))
        #expect(try DType(parsing: "|i1") == DType(parsing: "int8"))
        #expect(try DType(parsing: "b") == DType(parsing: "int8"))
        #expect(try DType(parsing: "b1") == DType(parsing: "bool"))
    }

    @Test(arguments: ["float31", "banana", "<f3", "i3", "[('a', 'nope')]", "[('a', '<f4'", "datetime64[lightyears]", ""])
    func unknownDTypesNameTheString(text: String) {
        #expect {
            try DType(parsing: text)
        } throws: { error in
            guard let e = error as? PyAcqError else { return false }
            return e.code == .dtype && e.message.contains("'\(text)'")
        }
    }

    @Test func fillBytes() throws {
        #expect(DType.float32.defaultFillBytes == [0, 0, 0xc0, 0x7f])
        #expect(DType.int16.defaultFillBytes == [0, 0])
        #expect(try DType(parsing: ">i2").elementBytes(of: .int(-2)) == [0xff, 0xfe])
        #expect(try DType.float32.elementBytes(of: .double(-1)) == [0, 0, 0x80, 0xbf])
    }
}
