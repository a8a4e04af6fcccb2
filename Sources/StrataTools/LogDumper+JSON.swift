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
                line.addRaw("records", "[" + (try recordsJSON(entry, context: context)).joined(separator: ",") + "]")
            } catch {
                out.line(line.text)
                fail("\(error)", file: file, position: entry.position)
                return
            }
        }
        out.line(line.text)
    }

    /// The records of an entry as JSON objects.
    private func recordsJSON(_ entry: LogEntry, context: CodecContext) throws -> [String] {
        let encoding = options.payloadEncoding
        var controlType: ControlRecordType? = nil
        if case .batch(let batch) = entry, batch.header.isControl { controlType = try batch.controlType(limits: options.limits) }
        return try entry.records(limits: options.limits, context: context).map { record in
            var line = JSONLine()
            line.add("offset", record.offset)
            line.add("timestamp", record.timestamp)
            line.add("keySize", record.keySize)
            line.add("valueSize", record.valueSize)
            let headers = record.headers.map { header -> String in
                var object = JSONLine()
                object.add("key", header.key)
                if options.printDataLog { object.add("value", header.value, encoding: encoding) }
                return object.text
            }
            line.addRaw("headers", "[" + headers.joined(separator: ",") + "]")
            if options.printDataLog && controlType == nil {
                line.add("key", record.key, encoding: encoding)
                line.add("value", record.value, encoding: encoding)
            }
            if let controlType { line.add("controlType", controlType.name) }
            return line.text
        }
    }
}
