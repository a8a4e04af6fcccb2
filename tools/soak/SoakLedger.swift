/// Everything the workers acknowledged, over every run: what the directory must still show.
struct SoakLedger {
    struct Position: Hashable { var partition: Int32; var offset: Int64 }

    /// Event id → where it was acknowledged.
    var events: [Int: Position] = [:]
    /// State key → the highest acknowledged seq and where.
    var state: [String: (seq: Int, at: Position)] = [:]
    /// The group's highest acknowledged commit per partition of `events`.
    var commits: [Int32: Int64] = [:]
    var acknowledged = 0
    /// Acknowledged writes to the state topic.
    var stateWrites = 0

    /// Takes one line a worker printed; false when it cannot be parsed.
    mutating func take(_ line: Substring) -> Bool {
        let fields = line.split(separator: " ")
        switch (fields.first, fields.count) {
        case ("STARTED", 1):
            return true
        case ("ACK", 5) where fields[1] == "E":
            guard let partition = Int32(fields[2]), let offset = Int64(fields[3]), let id = Int(fields[4]) else { return false }
            events[id] = Position(partition: partition, offset: offset)
            acknowledged += 1
            return true
        case ("ACK", 6) where fields[1] == "S":
            guard let partition = Int32(fields[2]), let offset = Int64(fields[3]), let seq = Int(fields[5]) else { return false }
            let key = String(fields[4])
            if seq > state[key]?.seq ?? -1 { state[key] = (seq, Position(partition: partition, offset: offset)) }
            stateWrites += 1
            acknowledged += 1
            return true
        case ("COMMIT", 3):
            guard let partition = Int32(fields[1]), let offset = Int64(fields[2]) else { return false }
            commits[partition] = max(commits[partition] ?? 0, offset)
            return true
        default:
            return false
        }
    }
}
