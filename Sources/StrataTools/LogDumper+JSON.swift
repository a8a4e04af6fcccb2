import Strata

extension LogDumper {
    /// One entry as a `{"type":"batch",…}` line, with `"records"` when iterating deeply (the
    /// contract documented in the README).
    mutating func printJSON(_ entry: LogEntry, file: String, context: CodecContext) {
        var line = JSONLine()
        line.add("type", "batch")
        line.add("file", file)
        line.add("position", entry.position)
        line.add("size", entry.sizeInBytes)
        line.add("magic", Int(entry.magic))
        line.add("baseOffset", (try? entry.firstOffset(limits: options.limits)) ?? entry.storedOffset)
        line.add("lastOffset", entry.lastOffset)
        let codec = CompressionCodec(rawValue: entry.compressionCodecID)?.name ?? "unknown(\(entry.compressionCodecID))"
        switch entry {
        case .batch(let batch):
            let h = batch.header
            line.add("count", Int(h.recordsCount))
            line.add("compression", codec)
            line.add("crc", h.crc)
            line.add("crcValid", batch.isValid)
            line.add("timestampType", h.timestampType.description)
            line.add("maxTimestamp", h.maxTimestamp)
            line.add("partitionLeaderEpoch", h.partitionLeaderEpoch)
            line.add("producerId", h.producerId)
            line.add("producerEpoch", h.producerEpoch)
            line.add("baseSequence", h.baseSequence)
            line.add("isTransactional", h.isTransactional)
            line.add("isControl", h.isControl)
            line.add("deleteHorizonMs", h.deleteHorizonMs)
        case .legacy(let legacy):
            let m = legacy.message
            line.add("count", (try? legacy.innerMessages(limits: options.limits, context: context).count) ?? nil)
            line.add("compression", codec)
            line.add("crc", m.crc)
            line.add("crcValid", m.isValid)
            line.add("timestampType", m.timestampType.description)
            line.add("maxTimestamp", m.timestamp)
            for key in ["partitionLeaderEpoch", "producerId", "producerEpoch", "baseSequence"] { line.add(key, Int?.none) }
            line.add("isTransactional", false)
            line.add("isControl", false)
            line.add("deleteHorizonMs", Int?.none)
        }
        if deep {
            do {
                try line.addObjects("records") { records in try recordsJSON(entry, context: context, into: &records) }
            } catch {
                line.writeLine(to: out)
                fail("\(error)", file: file, position: entry.position)
                return
            }
        }
        line.writeLine(to: out)
    }

    /// The records of an entry as JSON objects, written in place: a v2 batch's records seen in
    /// place (no copy or retain per record), a legacy entry's messages decoded.
    private func recordsJSON(_ entry: LogEntry, context: CodecContext, into records: inout JSONLine.ObjectsWriter) throws {
        let encoding = options.payloadEncoding
        switch entry {
        case .batch(let batch):
            let controlType = batch.header.isControl ? try batch.controlType(limits: options.limits) : nil
            try batch.forEachRecordView(limits: options.limits, context: context) { record in
                let headers = record.headers.map { (key: String(decoding: $0.key, as: UTF8.self), value: $0.value) }
                records.object { line in
                    recordJSON(offset: record.offset, timestamp: record.timestamp, keySize: record.keySize, valueSize: record.valueSize,
                               headers: headers, key: record.key, value: record.value, controlType: controlType, into: &line) { $0.add($1, $2, encoding: encoding) }
                }
            }
        case .legacy:
            for record in try entry.records(limits: options.limits, context: context) {
                records.object { line in
                    recordJSON(offset: record.offset, timestamp: record.timestamp, keySize: record.keySize, valueSize: record.valueSize,
                               headers: record.headers.map { ($0.key, $0.value) }, key: record.key, value: record.value, controlType: nil,
                               into: &line) { $0.add($1, $2, encoding: encoding) }
                }
            }
        }
    }

    /// One record's fields (the contract in the README) written into `line`; `add` writes a payload field.
    private func recordJSON<Bytes>(offset: Int64, timestamp: Int64, keySize: Int, valueSize: Int, headers: [(key: String, value: Bytes?)],
                                   key: Bytes?, value: Bytes?, controlType: ControlRecordType?, into line: inout JSONLine,
                                   add: (inout JSONLine, String, Bytes?) -> Void) {
        line.add("offset", offset)
        line.add("timestamp", timestamp)
        line.add("keySize", keySize)
        line.add("valueSize", valueSize)
        line.add("headers", objects: headers.map { header in
            var object = JSONLine()
            object.add("key", header.key)
            if options.printDataLog { add(&object, "value", header.value) }
            return object
        })
        if options.printDataLog && controlType == nil {
            add(&line, "key", key)
            add(&line, "value", value)
        }
        if let controlType { line.add("controlType", controlType.name) }
    }
}
