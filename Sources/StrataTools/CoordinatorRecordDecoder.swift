import NIOCore

/// Decodes `__consumer_offsets` and `__transaction_state` records as kafka-dump-log's
/// `--offsets-decoder` and `--transaction-log-decoder` print them (Kafka 4's
/// `CoordinatorRecordMessageParser`): the key as `{"type":"<record type>","data":{…}}`, the
/// value as `{"version":"<version>","data":{…}}` with fields in schema order, `<DELETE>` for
/// a tombstone, and `Error at offset N, skipping. …` / `Unknown record type …` in place of
/// the key when a record cannot be decoded.
public enum CoordinatorRecordDecoder: Sendable {
    /// Group coordinator records (`__consumer_offsets`).
    case offsets
    /// Transaction coordinator records (`__transaction_state`).
    case transactionLog

    /// The key and payload texts of one record.
    public func decode(key: ByteBuffer?, value: ByteBuffer?, offset: Int64) -> (key: String?, payload: String?) {
        guard let key else {
            return ("Failed to decode message at offset \(offset) using the specified decoder (message had a missing key)", nil)
        }
        do {
            var keyReader = KafkaProtocolReader(key)
            let type = try keyReader.integer(Int16.self, "key version")
            guard let keyJSON = try keyData(type: type, reader: &keyReader) else {
                return ("Unknown record type \(type) at offset \(offset), skipping.", nil)
            }
            let keyText = KafkaJSON.object([("type", JSONLine.quote(String(type))), ("data", keyJSON)])
            guard let value else { return (keyText, "<DELETE>") }
            var valueReader = KafkaProtocolReader(value)
            let version = try valueReader.integer(Int16.self, "value version")
            let data = try valueData(type: type, version: version, reader: &valueReader)
            return (keyText, KafkaJSON.object([("version", JSONLine.quote(String(version))), ("data", data)]))
        } catch {
            return ("Error at offset \(offset), skipping. \(error)", nil)
        }
    }

    private func keyData(type: Int16, reader: inout KafkaProtocolReader) throws(KafkaProtocolReader.Malformed) -> String? {
        switch (self, type) {
        case (.offsets, 0), (.offsets, 1):
            return KafkaJSON.object([("group", KafkaJSON.string(try reader.string("group"))), ("topic", KafkaJSON.string(try reader.string("topic"))),
                                     ("partition", String(try reader.integer(Int32.self, "partition")))])
        case (.offsets, 2):
            return KafkaJSON.object([("group", KafkaJSON.string(try reader.string("group")))])
        case (.transactionLog, 0):
            return KafkaJSON.object([("transactionalId", KafkaJSON.string(try reader.string("transactionalId")))])
        default:
            return nil
        }
    }

    private func valueData(type: Int16, version: Int16, reader: inout KafkaProtocolReader) throws(KafkaProtocolReader.Malformed) -> String {
        switch (self, type) {
        case (.offsets, 2): return try GroupCoordinatorValues.groupMetadata(version: version, reader: &reader)
        case (.offsets, _): return try GroupCoordinatorValues.offsetCommit(version: version, reader: &reader)
        case (.transactionLog, _): return try TransactionLogValues.transactionLog(version: version, reader: &reader)
        }
    }
}
