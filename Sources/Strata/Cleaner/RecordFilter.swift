import NIOCore

/// Decides, batch by batch, what the cleaner writes back (spec 6.4–6.7; Kafka's
/// `Cleaner.cleanInto` record filter and `MemoryRecords.filterTo`).
///
/// A data batch of an aborted transaction is dropped whole. Otherwise a record stays when it
/// is beyond the mapped range, or it is the latest of its key and either has a value or its
/// tombstone retention still runs. A batch whose records all stay, and which needs no delete
/// horizon, is copied byte for byte; one that lost records, or holds a surviving tombstone or a
/// discardable marker without a horizon yet, is re-encoded with the same header fields
/// (horizon = now + `delete.retention.ms`); one left with nothing is dropped, unless it is the
/// last batch of a live producer or the last entry of the segment group, which stay as empty
/// batches (their offsets and sequence numbers keep producer state and the swap's range).
struct RecordFilter {
    /// What to write for one entry.
    enum Decision {
        /// Write the entry's own bytes.
        case copy
        /// Write these bytes instead.
        case replace(ByteBuffer)
        /// Write nothing.
        case drop
    }

    let map: OffsetMap
    /// The cleaning's start time (horizons are measured from it).
    let now: Int64
    let deleteRetentionMs: Int64
    /// Per producer: the last offset of its last data batch (nil when its last entry is a
    /// marker) and its epoch.
    let lastBatchOfProducer: [Int64: (lastDataOffset: Int64?, epoch: Int16)]
    var transactions: CleanedTransactions
    let limits: DecodingLimits
    let context = CodecContext()

    /// Filters one entry. `retainLegacyDeletes` says whether legacy tombstones of its segment
    /// are still within their (mtime-based) retention; `isGroupEnd` keeps the last entry of a
    /// group. Returns the decision and, for a kept ABORT marker, the `.txnindex` entry.
    mutating func filter(_ entry: LogEntry, retainLegacyDeletes: Bool, isGroupEnd: Bool, stats: inout CleaningStats) throws -> (Decision, AbortedTransaction?) {
        switch entry {
        case .batch(let batch): return try filter(batch, isGroupEnd: isGroupEnd, stats: &stats)
        case .legacy(let legacy): return (try filter(legacy, retainDeletes: retainLegacyDeletes, isGroupEnd: isGroupEnd, stats: &stats), nil)
        }
    }

    private func isLastOfProducer(_ header: RecordBatchHeader) -> Bool {
        guard header.producerId >= 0, let last = lastBatchOfProducer[header.producerId] else { return false }
        if let offset = last.lastDataOffset { return header.lastOffset == offset }
        return header.isControl && header.producerEpoch == last.epoch
    }

    private mutating func filter(_ batch: RecordBatch, isGroupEnd: Bool, stats: inout CleaningStats) throws -> (Decision, AbortedTransaction?) {
        let header = batch.header
        stats.recordsRead += Int(header.recordsCount)
        var discardable: Bool
        var abortedEntry: AbortedTransaction? = nil
        if header.isControl {
            let type = header.recordsCount > 0 ? try batch.controlType(limits: limits) : nil
            let outcome = transactions.controlBatch(header, type: type)
            discardable = outcome.discardable
            abortedEntry = outcome.abortedEntry
        } else {
            discardable = transactions.dataBatch(header)
        }
        let horizonPassed = header.deleteHorizonMs.map { $0 <= now } ?? false
        let discardRecords = header.isControl ? discardable && horizonPassed : discardable
        let retainEmpty = isGroupEnd || isLastOfProducer(header)

        var retained: [Bool] = []
        var retainedCount = 0
        var containsTombstones = false
        if discardRecords {
            if header.isControl { stats.markersRemoved += Int(header.recordsCount) } else { stats.abortedRecordsRemoved += Int(header.recordsCount) }
        } else {
            retained.reserveCapacity(header.recordCountToReserve)
            let map = self.map
            let now = self.now
            try batch.forEachRecordView(limits: limits, context: context) { record in
                var keep = true
                if !header.isControl && record.offset <= map.latestOffset {
                    keep = Self.survives(latest: record.key.map { record.offset >= map.get($0) }, isTombstone: record.value == nil,
                                         retainDeletes: header.deleteHorizonMs.map { now < $0 } ?? true, stats: &stats)
                }
                if keep {
                    retainedCount += 1
                    if !header.isControl && record.value == nil {
                        containsTombstones = true
                        stats.tombstonesKept += 1
                    }
                }
                retained.append(keep)
            }
            if header.isControl { stats.markersKept += retainedCount }
        }
        let needsHorizon = (containsTombstones || header.isControl && discardable) && header.deleteHorizonMs == nil
        if retainedCount > 0 && retainedCount == Int(header.recordsCount) && !needsHorizon {
            stats.batchesCopied += 1
            stats.recordsWritten += retainedCount
            return (.copy, abortedEntry)
        }
        if retainedCount > 0 {
            var configuration = RecordBatchBuilder.Configuration(reproducing: header)
            configuration.baseTimestamp = nil
            configuration.maxTimestamp = nil
            if needsHorizon {
                configuration.deleteHorizonMs = now.addingReportingOverflow(deleteRetentionMs).overflow ? Int64.max : now + deleteRetentionMs
                stats.horizonsSet += 1
            }
            var builder = RecordBatchBuilder(configuration)
            var index = 0
            var failure: StrataFormatError? = nil
            try batch.forEachRecord(limits: limits, context: context) { record in
                defer { index += 1 }
                guard failure == nil, retained[index] else { return }
                do throws(StrataFormatError) { try builder.append(record) } catch { failure = error }
            }
            if let failure { throw failure }
            stats.batchesRebuilt += 1
            stats.recordsWritten += retainedCount
            return (.replace(try builder.build(context: context)), abortedEntry)
        }
        if retainEmpty && header.recordsCount >= 0 {
            var configuration = RecordBatchBuilder.Configuration(reproducing: header)
            configuration.compression = .none
            configuration.deleteHorizonMs = nil
            configuration.baseTimestamp = nil
            configuration.logAppendTime = nil
            configuration.maxTimestamp = header.maxTimestamp
            stats.emptyBatchesKept += 1
            // A kept empty batch with the original header (count 0) is the same bytes: copy it.
            if header.recordsCount == 0 && header.compression == CompressionCodec.none && header.deleteHorizonMs == nil && header.timestampType == .createTime {
                return (.copy, abortedEntry)
            }
            var built = try RecordBatchBuilder(configuration).build(context: context)
            if header.timestampType == .logAppendTime {
                // The empty batch keeps its timestamp type bit (Kafka's writeEmptyHeader).
                Self.setLogAppendTimeBit(&built)
            }
            return (.replace(built), abortedEntry)
        }
        stats.batchesRemoved += 1
        return (.drop, nil)
    }

    /// Sets the LogAppendTime attribute bit of a built batch and recomputes its CRC.
    private static func setLogAppendTimeBit(_ bytes: inout ByteBuffer) {
        let at = bytes.readerIndex + 22
        let attributes: UInt8 = bytes.getInteger(at: at)!
        bytes.setInteger(attributes | 0x08, at: at)
        let crc = bytes.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.crcCoverageStart...]))
        }
        bytes.setInteger(crc, at: bytes.readerIndex + 17)
    }

    /// Kafka's rule for a record the offset map covers: it survives when it is its key's latest
    /// and not a tombstone past its delete horizon; a record without a key does not (`latest`
    /// nil). The removal is counted in `stats`.
    static func survives(latest: Bool?, isTombstone: Bool, retainDeletes: Bool, stats: inout CleaningStats) -> Bool {
        guard let latest else {
            stats.keylessRecordsRemoved += 1
            return false
        }
        if !latest {
            stats.supersededRecordsRemoved += 1
            return false
        }
        if isTombstone && !retainDeletes {
            stats.tombstonesRemoved += 1
            return false
        }
        return true
    }

    private func filter(_ entry: LegacyEntry, retainDeletes: Bool, isGroupEnd: Bool, stats: inout CleaningStats) throws -> Decision {
        let messages = try entry.innerMessages(limits: limits, context: context)
        stats.recordsRead += messages.count
        var kept: [LegacyMessage] = []
        for message in messages {
            var keep = true
            if message.offset <= map.latestOffset {
                let latest = message.key.map { key in key.withUnsafeReadableBytes { message.offset >= map.get($0) } }
                keep = Self.survives(latest: latest, isTombstone: message.value == nil, retainDeletes: retainDeletes, stats: &stats)
            }
            if keep {
                kept.append(message)
                if message.value == nil { stats.tombstonesKept += 1 }
            }
        }
        // Legacy entries cannot be emptied: the last one of a group stays whole (see the type's
        // discussion); so does a v0 lz4 wrapper, whose broken frame checksum is not rewritten.
        let keepWhole = isGroupEnd || (entry.isCompressed && entry.message.magic == 0 && entry.message.codec == .lz4)
        if kept.count == messages.count || (keepWhole && !kept.isEmpty) || isGroupEnd {
            stats.batchesCopied += 1
            stats.recordsWritten += messages.count
            return .copy
        }
        if kept.isEmpty {
            stats.batchesRemoved += 1
            return .drop
        }
        guard let codec = entry.message.codec, entry.isCompressed else { return .copy }
        stats.batchesRebuilt += 1
        stats.recordsWritten += kept.count
        return .replace(try LegacyMessageWriter.wrapper(kept, like: entry.message, codec: codec, context: context))
    }
}
