import NIOCore

/// The type of a control record, from the second int16 of its key.
public enum ControlRecordType: Sendable, Hashable, CustomStringConvertible {
    /// Transaction aborted (0).
    case abort
    /// Transaction committed (1).
    case commit
    /// KRaft leader change (2).
    case leaderChange
    /// KRaft snapshot header (3).
    case snapshotHeader
    /// KRaft snapshot footer (4).
    case snapshotFooter
    /// KRaft version (5).
    case kraftVersion
    /// KRaft voters (6).
    case kraftVoters
    /// A type this version does not know; readers ignore it, as Kafka does.
    case unknown(Int16)

    /// Creates the type from its id.
    public init(id: Int16) {
        switch id {
        case 0: self = .abort
        case 1: self = .commit
        case 2: self = .leaderChange
        case 3: self = .snapshotHeader
        case 4: self = .snapshotFooter
        case 5: self = .kraftVersion
        case 6: self = .kraftVoters
        default: self = .unknown(id)
        }
    }

    /// The id stored in the key.
    public var id: Int16 {
        switch self {
        case .abort: 0
        case .commit: 1
        case .leaderChange: 2
        case .snapshotHeader: 3
        case .snapshotFooter: 4
        case .kraftVersion: 5
        case .kraftVoters: 6
        case .unknown(let id): id
        }
    }

    /// Kafka's name for the type (`ABORT`, `COMMIT`, `LEADER_CHANGE`, …, `UNKNOWN`).
    public var name: String {
        switch self {
        case .abort: "ABORT"
        case .commit: "COMMIT"
        case .leaderChange: "LEADER_CHANGE"
        case .snapshotHeader: "SNAPSHOT_HEADER"
        case .snapshotFooter: "SNAPSHOT_FOOTER"
        case .kraftVersion: "KRAFT_VERSION"
        case .kraftVoters: "KRAFT_VOTERS"
        case .unknown: "UNKNOWN"
        }
    }

    /// True for the transaction markers (ABORT and COMMIT).
    public var isTransactionMarker: Bool { self == .abort || self == .commit }

    public var description: String { name }

    /// Parses a control record key: int16 version (≥ 0) then int16 type.
    ///
    /// - Throws: `invalidControlRecord` for a null key, one shorter than 4 bytes, or a
    ///   negative version.
    public init(key: ByteBuffer?) throws(StrataFormatError) {
        guard let key, key.readableBytes >= 4,
              let version = key.getInteger(at: key.readerIndex, as: Int16.self),
              let type = key.getInteger(at: key.readerIndex + 2, as: Int16.self)
        else {
            throw StrataFormatError(.invalidControlRecord, "control record key must be at least 4 bytes, got \(key?.readableBytes ?? -1)")
        }
        guard version >= 0 else {
            throw StrataFormatError(.invalidControlRecord, "control record key has negative version \(version)")
        }
        self.init(id: type)
    }

    /// The 4-byte key of a control record of this type (version 0).
    public var key: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int16(0))
        buffer.writeInteger(id)
        return buffer
    }
}

/// The value of a transaction marker record: version and the coordinator's epoch.
public struct EndTransactionMarker: Sendable, Hashable {
    /// The marker's schema version (0).
    public var version: Int16
    /// The transaction coordinator's epoch when it wrote the marker.
    public var coordinatorEpoch: Int32

    /// Creates a marker value.
    public init(version: Int16 = 0, coordinatorEpoch: Int32) {
        self.version = version
        self.coordinatorEpoch = coordinatorEpoch
    }

    /// Parses a marker value (6 bytes or more; later versions may add fields).
    ///
    /// - Throws: `invalidControlRecord` for a null or short value, or a negative version.
    public init(value: ByteBuffer?) throws(StrataFormatError) {
        guard let value, value.readableBytes >= 6,
              let version = value.getInteger(at: value.readerIndex, as: Int16.self),
              let epoch = value.getInteger(at: value.readerIndex + 2, as: Int32.self)
        else {
            throw StrataFormatError(.invalidControlRecord, "transaction marker value must be at least 6 bytes, got \(value?.readableBytes ?? -1)")
        }
        guard version >= 0 else {
            throw StrataFormatError(.invalidControlRecord, "transaction marker has negative version \(version)")
        }
        self.init(version: version, coordinatorEpoch: epoch)
    }

    /// The 6-byte value.
    public var value: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        buffer.writeInteger(coordinatorEpoch)
        return buffer
    }
}
