import Foundation

/// The supervisor's command line.
struct SoakSettings {
    var seconds = 300.0
    var directory: String? = nil
    var seed = UInt64.random(in: 0...UInt64.max)

    init?(_ arguments: [String]) {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { return nil }
            switch flag {
            case "--seconds": guard let number = Double(value), number > 0 else { return nil }; seconds = number
            case "--dir": directory = value
            case "--seed": guard let number = UInt64(value) else { return nil }; seed = number
            default: return nil
            }
        }
    }
}

/// The topics the worker writes and how they are configured: small segments so that rolls,
/// retention and compaction happen every few seconds.
enum SoakTopics {
    static let events = "events"
    static let state = "state"
    static let group = "soak"
    static let eventPartitions = 3
    static let statePartitions = 2
    static let eventsConfig = ["segment.bytes": "16384", "retention.bytes": "65536", "cleanup.policy": "delete"]
    static let stateConfig = ["segment.bytes": "8192", "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1",
                              "delete.retention.ms": "86400000", "segment.ms": "2000"]
}
