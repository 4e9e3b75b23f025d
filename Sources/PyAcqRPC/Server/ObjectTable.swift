import PyAcqCore

/// Objects handed out as proxies (PROTOCOL §4.1): obj_id per live object, one ref_id per proxy
/// produced; an object is forgotten when `delete` removes its last reference.
final class ObjectTable {
    private struct Entry {
        let entity: RemoteEntity
        var references: Set<Int64>
    }

    private var entries: [Int64: Entry] = [:]
    private var idsByObject: [ObjectIdentifier: Int64] = [:]
    private var nextObjectId: Int64 = 0
    private var nextReferenceId: Int64 = 0

    func proxy(for entity: RemoteEntity, address: String) -> ProxyReference {
        let key = identity(of: entity)
        let objectId: Int64
        if let key, let existing = idsByObject[key] {
            objectId = existing
        } else {
            objectId = nextObjectId
            nextObjectId += 1
            entries[objectId] = Entry(entity: entity, references: [])
            if let key { idsByObject[key] = objectId }
        }
        let referenceId = nextReferenceId
        nextReferenceId += 1
        entries[objectId]!.references.insert(referenceId)
        return ProxyReference(rpcAddress: address, objectId: objectId, referenceId: referenceId,
                              typeString: typeString(of: entity))
    }

    func entity(_ objectId: Int64) throws(PyAcqError) -> RemoteEntity {
        guard let entry = entries[objectId] else {
            throw PyAcqError(.index, "Invalid proxy object ID \(objectId). The object may have been released already.", exceptionType: "KeyError")
        }
        return entry.entity
    }

    func release(objectId: Int64, referenceId: Int64) throws(PyAcqError) {
        guard var entry = entries[objectId] else { throw PyAcqError(.index, "\(objectId)", exceptionType: "KeyError") }
        guard entry.references.remove(referenceId) != nil else { throw PyAcqError(.index, "\(referenceId)", exceptionType: "KeyError") }
        if entry.references.isEmpty {
            entries[objectId] = nil
            if let key = identity(of: entry.entity) { idsByObject[key] = nil }
        } else {
            entries[objectId] = entry
        }
    }

    var count: Int { entries.count }

    private func identity(of entity: RemoteEntity) -> ObjectIdentifier? {
        if case .object(let o) = entity { return ObjectIdentifier(o) }
        return nil
    }

    private func typeString(of entity: RemoteEntity) -> String {
        switch entity {
        case .object(let o): return o.remoteTypeString
        case .method: return "<class 'method'>"
        case .value(let v): return "<class '\(v.kindName)'>"
        }
    }
}
