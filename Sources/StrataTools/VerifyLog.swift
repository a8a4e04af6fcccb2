import Strata

extension Verifier {
    /// Scans one `.log` (or a KRaft snapshot when `baseOffset` is nil): framing, CRC of every
    /// entry, offsets (strictly increasing, not below the base offset, representable), future
    /// timestamps and, with `--deep`, every record. Damaged entries are skipped whenever their
    /// size field still frames them, so one bad batch does not hide the rest.
    func scanLog(_ path: String, baseOffset: Int64?) -> LogScan? {
        stats.files += 1
        stats.segments += 1
        var scan = LogScan(path: path, baseOffset: baseOffset)
        do {
            var reader = try LogFileReader(path: path, limits: options.limits)
            scan.size = reader.end
            let context = CodecContext()
            let doneBytes = stats.bytes
            defer { stats.bytes = doneBytes + reader.position }
            while true {
                let position = reader.position
                progress?.update(bytes: doneBytes + position, file: path)
                let entry: LogEntry
                do {
                    guard let next = try reader.next() else { break }
                    entry = next
                } catch let error as StrataFormatError {
                    if position == 0 && baseOffset == nil {
                        report(VerifyFinding(.notKafkaFormat, file: path, position: 0, "not a Kafka segment: the first entry is unreadable (\(error.message))"))
                        scan.isForeign = true
                        return scan
                    }
                    report(VerifyFinding(.corruptEntry, file: path, position: position, offset: error.baseOffset, error.message))
                    if try reader.skipEntry() {
                        scan.damaged.append(position..<reader.position)
                        continue
                    }
                    scan.tailStart = position
                    break
                }
                stats.batches += 1
                check(entry, in: &scan, context: context)
            }
            switch reader.stop {
            case .partialEntry(let position, let declared, let available)?:
                if position == 0 && baseOffset == nil {
                    report(VerifyFinding(.notKafkaFormat, file: path, position: 0, declared: "\(declared) bytes", computed: "\(available) bytes",
                                         "not a Kafka segment: its first entry runs past the end of the file"))
                    scan.isForeign = true
                    return scan
                }
                report(VerifyFinding(.partialTail, file: path, position: position, declared: "\(declared) bytes", computed: "\(available) bytes",
                                     "the last entry runs past the end of the file (a torn write)"))
                scan.tailStart = position
            case .trailingBytes(let position, let count)?:
                report(VerifyFinding(.trailingBytes, file: path, position: position, computed: "\(count) bytes", "stray bytes after the last entry"))
                scan.tailStart = position
            default:
                break
            }
        } catch let error as StrataIOError {
            report(VerifyFinding(.unreadable, file: path, "\(error)"))
            return nil
        } catch {
            report(VerifyFinding(.unreadable, file: path, "\(error)"))
            return nil
        }
        return scan
    }

    /// The checks of one whole entry; a valid one joins `scan.batches`.
    private func check(_ entry: LogEntry, in scan: inout LogScan, context: CodecContext) {
        let path = scan.path
        let position = entry.position
        let range = position..<(position + entry.sizeInBytes)
        guard entry.isValid else {
            report(VerifyFinding(.crcMismatch, file: path, position: position, offset: entry.storedOffset,
                                 declared: String(entry.storedCRC), computed: String(entry.computedCRC), "stored CRC does not match the entry's bytes"))
            scan.damaged.append(range)
            return
        }
        let first: Int64
        do {
            first = try entry.firstOffset(limits: options.limits)
        } catch {
            report(VerifyFinding(.invalidRecords, file: path, position: position, offset: entry.storedOffset, error.message))
            scan.damaged.append(range)
            return
        }
        let last = entry.lastOffset
        if let base = scan.baseOffset {
            if first < base && !scan.hasOffsetProblems {
                report(VerifyFinding(.baseOffsetMismatch, file: path, position: position, offset: first, declared: "base offset \(base) (file name)",
                                     computed: "first offset \(first)", "a batch below the segment's base offset (later ones not repeated)"))
                scan.hasOffsetProblems = true
            } else if last - base > Int64(Int32.max) {
                report(VerifyFinding(.offsetOverflow, file: path, position: position, offset: last, declared: "base offset \(base)",
                                     computed: "last offset \(last)", "offset too far above the base offset to be indexed"))
                scan.hasOffsetProblems = true
            }
        }
        if let previous = scan.batches.last, first <= previous.lastOffset {
            report(VerifyFinding(.offsetOrder, file: path, position: position, offset: first, declared: "after \(previous.lastOffset)",
                                 computed: "\(first)", "offsets do not increase"))
            scan.hasOffsetProblems = true
        }
        if last < first {
            report(VerifyFinding(.offsetOrder, file: path, position: position, offset: first, declared: "last offset \(last)",
                                 computed: "first offset \(first)", "the batch's last offset is below its first"))
            scan.hasOffsetProblems = true
        }
        if entry.maxTimestamp > options.now + options.futureThresholdMs {
            report(VerifyFinding(.futureTimestamp, file: path, position: position, offset: last, declared: String(entry.maxTimestamp),
                                 computed: "now \(options.now)", "a timestamp more than \(options.futureThresholdMs) ms in the future"))
        }
        if case .batch(let batch) = entry, batch.header.isControl {
            do {
                if try batch.controlType(limits: options.limits) == .abort { scan.abortMarkers[batch.header.baseOffset] = batch.header.producerId }
            } catch {
                report(VerifyFinding(.invalidRecords, file: path, position: position, offset: first, "control batch: \(error.message)"))
            }
        }
        if options.deep {
            guard checkRecords(of: entry, file: path, context: context) else {
                scan.damaged.append(range)
                return
            }
        } else if case .batch(let batch) = entry {
            stats.records += Int(batch.header.recordsCount)
        } else {
            stats.records += 1
        }
        scan.batches.append(ScannedBatch(position: position, size: entry.sizeInBytes, firstOffset: first, lastOffset: last, maxTimestamp: entry.maxTimestamp))
    }

    /// `--deep`: every record parses (and decompresses), the count and offsets agree with the
    /// header, inner legacy messages carry valid CRCs. Returns false when the entry is damaged.
    private func checkRecords(of entry: LogEntry, file: String, context: CodecContext) -> Bool {
        let position = entry.position
        do {
            switch entry {
            case .batch(let batch):
                let h = batch.header
                let records = try batch.records(limits: options.limits, context: context)
                stats.records += records.count
                if records.count != Int(h.recordsCount) {
                    report(VerifyFinding(.recordCountMismatch, file: file, position: position, offset: h.baseOffset,
                                         declared: "\(h.recordsCount) records", computed: "\(records.count) records", "record count disagrees with the header"))
                    return false
                }
                var previous: Int64? = nil
                for record in records {
                    if record.offset < h.baseOffset || record.offset > h.lastOffset || record.offset <= (previous ?? .min) {
                        report(VerifyFinding(.recordCountMismatch, file: file, position: position, offset: record.offset,
                                             declared: "offsets \(h.baseOffset)...\(h.lastOffset)", computed: "record offset \(record.offset)",
                                             "a record offset outside the batch or out of order"))
                        return false
                    }
                    previous = record.offset
                }
            case .legacy(let legacy):
                let inner = try legacy.innerMessages(limits: options.limits, context: context)
                stats.records += inner.count
                for message in inner where !message.isValid {
                    report(VerifyFinding(.crcMismatch, file: file, position: position, offset: message.offset,
                                         declared: String(message.crc), computed: String(message.computedCRC), "an inner message's CRC does not match"))
                    return false
                }
            }
        } catch {
            report(VerifyFinding(.invalidRecords, file: file, position: position, offset: entry.storedOffset, error.message))
            return false
        }
        return true
    }
}
