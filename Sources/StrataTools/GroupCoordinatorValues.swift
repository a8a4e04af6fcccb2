/// `OffsetCommitValue` (versions 0–4) and `GroupMetadataValue` (0–4) as JSON, with consumer
/// group members' subscriptions and assignments decoded as Kafka's dump tool does.
enum GroupCoordinatorValues {
    static func offsetCommit(version: Int16, reader: inout KafkaProtocolReader) throws(KafkaProtocolReader.Malformed) -> String {
        guard (0...4).contains(version) else { throw KafkaProtocolReader.Malformed(description: "unknown OffsetCommitValue version \(version)") }
        reader.flexible = version >= 4
        var fields: [(String, String)] = [("offset", String(try reader.integer(Int64.self, "offset")))]
        if version >= 3 { fields.append(("leaderEpoch", String(try reader.integer(Int32.self, "leaderEpoch")))) }
        fields.append(("metadata", KafkaJSON.string(try reader.string("metadata"))))
        fields.append(("commitTimestamp", String(try reader.integer(Int64.self, "commitTimestamp"))))
        if version == 1 { fields.append(("expireTimestamp", String(try reader.integer(Int64.self, "expireTimestamp")))) }
        _ = try reader.taggedFields()
        return KafkaJSON.object(fields)
    }

    static func groupMetadata(version: Int16, reader: inout KafkaProtocolReader) throws(KafkaProtocolReader.Malformed) -> String {
        guard (0...4).contains(version) else { throw KafkaProtocolReader.Malformed(description: "unknown GroupMetadataValue version \(version)") }
        reader.flexible = version >= 4
        let protocolType = try reader.string("protocolType")
        var fields: [(String, String)] = [("protocolType", KafkaJSON.string(protocolType))]
        fields.append(("generation", String(try reader.integer(Int32.self, "generation"))))
        fields.append(("protocol", KafkaJSON.string(try reader.nullableString("protocol"))))
        fields.append(("leader", KafkaJSON.string(try reader.nullableString("leader"))))
        if version >= 2 { fields.append(("currentStateTimestamp", String(try reader.integer(Int64.self, "currentStateTimestamp")))) }
        let count = try reader.arrayCount("members") ?? 0
        var members: [String] = []
        for _ in 0..<count {
            var member: [(String, String)] = [("memberId", KafkaJSON.string(try reader.string("memberId")))]
            if version >= 3 { member.append(("groupInstanceId", KafkaJSON.string(try reader.nullableString("groupInstanceId")))) }
            member.append(("clientId", KafkaJSON.string(try reader.string("clientId"))))
            member.append(("clientHost", KafkaJSON.string(try reader.string("clientHost"))))
            if version >= 1 { member.append(("rebalanceTimeout", String(try reader.integer(Int32.self, "rebalanceTimeout")))) }
            member.append(("sessionTimeout", String(try reader.integer(Int32.self, "sessionTimeout"))))
            let subscription = try reader.bytes("subscription")
            let assignment = try reader.bytes("assignment")
            let consumer = protocolType == "consumer"
            member.append(("subscription", (consumer ? ConsumerProtocol.subscription(subscription) : nil) ?? KafkaJSON.bytes(subscription)))
            member.append(("assignment", (consumer ? ConsumerProtocol.assignment(assignment) : nil) ?? KafkaJSON.bytes(assignment)))
            _ = try reader.taggedFields()
            members.append(KafkaJSON.object(member))
        }
        fields.append(("members", KafkaJSON.array(members)))
        _ = try reader.taggedFields()
        return KafkaJSON.object(fields)
    }
}

/// The consumer embedded protocol's subscription and assignment (versions 0–3), as JSON; nil
/// when the bytes do not decode (Kafka then keeps them as base64).
enum ConsumerProtocol {
    static func subscription(_ bytes: [UInt8]) -> String? {
        var reader = KafkaProtocolReader(.init(bytes: bytes))
        do {
            let version = try reader.integer(Int16.self, "version")
            guard (0...3).contains(version) else { return nil }
            let topics = try (0..<(try reader.arrayCount("topics") ?? 0)).map { _ throws(KafkaProtocolReader.Malformed) in KafkaJSON.string(try reader.string("topic")) }
            var fields: [(String, String)] = [("topics", KafkaJSON.array(topics)), ("userData", KafkaJSON.bytes(try reader.nullableBytes("userData")))]
            if version >= 1 { fields.append(("ownedPartitions", try topicPartitions(&reader))) }
            if version >= 2 { fields.append(("generationId", String(try reader.integer(Int32.self, "generationId")))) }
            if version >= 3 { fields.append(("rackId", KafkaJSON.string(try reader.nullableString("rackId")))) }
            return KafkaJSON.object(fields)
        } catch {
            return nil
        }
    }

    static func assignment(_ bytes: [UInt8]) -> String? {
        var reader = KafkaProtocolReader(.init(bytes: bytes))
        do {
            let version = try reader.integer(Int16.self, "version")
            guard (0...3).contains(version) else { return nil }
            return KafkaJSON.object([("assignedPartitions", try topicPartitions(&reader)), ("userData", KafkaJSON.bytes(try reader.nullableBytes("userData")))])
        } catch {
            return nil
        }
    }

    /// `[{"topic":…,"partitions":[…]}]`.
    private static func topicPartitions(_ reader: inout KafkaProtocolReader) throws(KafkaProtocolReader.Malformed) -> String {
        var items: [String] = []
        for _ in 0..<(try reader.arrayCount("partitions by topic") ?? 0) {
            let topic = try reader.string("topic")
            var partitions: [String] = []
            for _ in 0..<(try reader.arrayCount("partitions") ?? 0) { partitions.append(String(try reader.integer(Int32.self, "partition"))) }
            items.append(KafkaJSON.object([("topic", KafkaJSON.string(topic)), ("partitions", KafkaJSON.array(partitions))]))
        }
        return KafkaJSON.array(items)
    }
}

/// `TransactionLogValue` (versions 0–1) as JSON.
enum TransactionLogValues {
    static func transactionLog(version: Int16, reader: inout KafkaProtocolReader) throws(KafkaProtocolReader.Malformed) -> String {
        guard (0...1).contains(version) else { throw KafkaProtocolReader.Malformed(description: "unknown TransactionLogValue version \(version)") }
        reader.flexible = version >= 1
        let producerId = try reader.integer(Int64.self, "producerId")
        let producerEpoch = try reader.integer(Int16.self, "producerEpoch")
        let timeout = try reader.integer(Int32.self, "transactionTimeoutMs")
        let status = try reader.integer(Int8.self, "transactionStatus")
        var partitions: [String]? = nil
        if let count = try reader.arrayCount("transactionPartitions") {
            var items: [String] = []
            for _ in 0..<count {
                let topic = try reader.string("topic")
                var ids: [String] = []
                for _ in 0..<(try reader.arrayCount("partitionIds") ?? 0) { ids.append(String(try reader.integer(Int32.self, "partitionId"))) }
                _ = try reader.taggedFields()
                items.append(KafkaJSON.object([("topic", KafkaJSON.string(topic)), ("partitionIds", KafkaJSON.array(ids))]))
            }
            partitions = items
        }
        let lastUpdate = try reader.integer(Int64.self, "transactionLastUpdateTimestampMs")
        let start = try reader.integer(Int64.self, "transactionStartTimestampMs")
        let taggedFields = try reader.taggedFields()
        // Tagged fields appear (as Kafka's JSON converter writes them) only when not default.
        func tagged<T: FixedWidthInteger>(_ tag: UInt32, _ type: T.Type) -> T? {
            guard var bytes = taggedFields[tag] else { return nil }
            return bytes.readInteger(as: T.self)
        }
        var fields: [(String, String)] = [("producerId", String(producerId))]
        if let previous = tagged(0, Int64.self), previous != -1 { fields.append(("previousProducerId", String(previous))) }
        if let next = tagged(1, Int64.self), next != -1 { fields.append(("nextProducerId", String(next))) }
        fields += [("producerEpoch", String(producerEpoch)), ("transactionTimeoutMs", String(timeout)), ("transactionStatus", String(status)),
                   ("transactionPartitions", KafkaJSON.array(partitions)), ("transactionLastUpdateTimestampMs", String(lastUpdate)),
                   ("transactionStartTimestampMs", String(start))]
        if let clientVersion = tagged(2, Int16.self), clientVersion != 0 { fields.append(("clientTransactionVersion", String(clientVersion))) }
        return KafkaJSON.object(fields)
    }
}
