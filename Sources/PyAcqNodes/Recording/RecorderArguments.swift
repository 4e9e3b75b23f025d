import PyAcqCore

/// What every recorder's configure takes (PROTOCOL §14.3): `dirname`, and `streams` as a list
/// (inputs named `<prefix>0…`) or a dict (inputs named by its keys), connected when
/// `autoconnect` is true (the default).
public enum RecorderArguments {
    /// Parses `dirname` and `streams`, adds one input per stream to `node` and connects them.
    public static func apply(_ kwargs: ValueMap, to node: Node, inputPrefix: String, what: String) throws(PyAcqError)
        -> (dirname: String, sources: [(name: String, stream: Value)]) {
        let recorder = type(of: node).typeName
        guard case .string(let dirname)? = kwargs["dirname"], !dirname.isEmpty else {
            throw PyAcqError(.badParams, "\(recorder) needs dirname=<directory for the \(what)>", exceptionType: "ValueError")
        }
        let sources: [(name: String, stream: Value)]
        switch kwargs["streams"] {
        case .array(let list)?: sources = list.enumerated().map { ("\(inputPrefix)\($0.offset)", $0.element) }
        case .map(let map)?: sources = map.entries.map { ($0.key, $0.value) }
        default: throw PyAcqError(.badParams, "\(recorder) needs streams=[...] or {name: stream}", exceptionType: "ValueError")
        }
        guard !sources.isEmpty else { throw PyAcqError(.badParams, "\(recorder) needs at least one stream", exceptionType: "ValueError") }
        for (name, _) in sources where (try? node.input(named: name)) == nil { node.addInput(name, spec: [:]) }
        if kwargs["autoconnect"]?.boolValue ?? true {
            for (name, stream) in sources { try node.input(named: name).connect(to: stream) }
        }
        return (dirname, sources)
    }
}
