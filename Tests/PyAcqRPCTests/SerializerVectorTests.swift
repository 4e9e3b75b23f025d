import PyAcqCore
import PyAcqTestSupport
import PyAcqRPC
import Testing

/// serializer.json: every value decodes, and re-encoding gives pyacq's exact bytes/text.
@Suite struct SerializerVectorTests {
    static func values() throws -> [Value] { try Vectors.load("serializer.json")["values"]?.arrayValue ?? [] }

    @Test func msgpackRoundTripsByteExact() throws {
        let values = try Self.values()
        #expect(values.count >= 20)
        for v in values {
            let name = v["name"].stringValue!
            let wire = unhex(v["msgpack_hex"].stringValue!)
            let decoded = try Serializer.msgpack.decode(wire)
            if name == "decode_only_none_wrapper" {
                #expect(decoded == .null)
                continue
            }
            #expect(hex(try Serializer.msgpack.encode(decoded)) == hex(wire), "\(name)")
        }
    }

    @Test func jsonRoundTripsTextExact() throws {
        for v in try Self.values() {
            let name = v["name"].stringValue!
            let text = v["json_text"].stringValue!
            let decoded = try Serializer.json.decode(Array(text.utf8))
            if name == "decode_only_none_wrapper" { continue }
            #expect(String(decoding: try Serializer.json.encode(decoded), as: UTF8.self) == text, "\(name)")
        }
    }

    @Test func specialValuesDecodeToTheirTypes() throws {
        let byName = Dictionary(uniqueKeysWithValues: try Self.values().map { ($0["name"].stringValue!, $0) })
        func decoded(_ name: String) throws -> Value { try Serializer.msgpack.decode(unhex(byName[name]!["msgpack_hex"].stringValue!)) }
        #expect(try decoded("bytes") == .bytes([0, 1, 0x61, 0x62]))
        #expect(try decoded("int_u64_max") == .uint(UInt64.max))
        #expect(try decoded("int_i64_min") == .int(Int64.min))
        guard case .ndarray(let a) = try decoded("ndarray_f32_2x2") else { Issue.record("not an ndarray"); return }
        #expect(a.shape == [2, 2] && a.values(as: Float.self) == [0, 1, 2, 3])
        guard case .ndarray(let s) = try decoded("ndarray_structured") else { Issue.record("not an ndarray"); return }
        #expect(s.dtype.description == "[('index', '<i8'), ('label', 'S4')]")
        guard case .proxy(let p) = try decoded("proxy") else { Issue.record("not a proxy"); return }
        #expect(p.rpcAddress == "tcp://127.0.0.1:5678" && p.objectId == 3 && p.referenceId == 12)
        #expect(try decoded("datetime") == .datetime("2015-01-02T03:04:05.000006"))
        guard case .ndarray(let z) = try decoded("ndarray_0d") else { Issue.record("not an ndarray"); return }
        #expect(z.shape == [] && z.values(as: Double.self) == [3.25])
    }

    @Test func rejectsWhatPyacqCannotDecode() throws {
        #expect(throws: PyAcqError.self) { try Serializer.msgpack.decode(unhex("8101a161")) }  // int map key
        #expect(throws: PyAcqError.self) { try Serializer.msgpack.decode(unhex("dd7fffffff")) }  // huge array, no bytes
        #expect(throws: PyAcqError.self) { try Serializer.msgpack.decode(unhex("c6ffffffff00")) }  // huge bin
        #expect(throws: PyAcqError.self) { try Serializer.msgpack.decode(unhex("0707")) }  // trailing bytes
        #expect(throws: PyAcqError.self) { try Serializer.json.decode(Array(#"{"___type_name___": "proxy", "rpc_addr": "x", "obj_id": 1, "ref_id": 2, "evil": 1}"#.utf8)) }
        #expect(throws: PyAcqError.self) { try Serializer.json.decode(Array(#"{"___type_name___": "ndarray", "data": "AAAA", "dtype": "float32", "shape": [2]}"#.utf8)) }
    }
}
