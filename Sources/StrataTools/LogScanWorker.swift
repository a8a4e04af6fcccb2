import Strata

/// One thread's walk over part of a `.log` (or KRaft snapshot): it reads its own bytes and
/// makes every check that needs only the entry at hand — framing, CRC, the first offset, a
/// batch's last offset below its first, future timestamps, control batches and, with `--deep`,
/// the records. It touches no shared state but the progress bar, so several run at once.
struct LogScanWorker: Sendable {
    let file: any StorageFile
    /// The file's size: entries are framed against the whole file, whatever the limit.
    let size: Int
    /// The base offset the file name gives (nil for a file not named as a segment).
    let baseOffset: Int64?
    let options: VerifyOptions
    let progress: VerifyProgress?

    private var path: String { file.path }

    /// Walks entries from `start` (an entry boundary) until one starts at or past `limit`, or
    /// reading ends.
    func scan(from start: Int, until limit: Int) -> LogScanPiece {
        var piece = LogScanPiece(start: start)
        var reader: LogFileReader
        do {
            // A share smaller than the usual megabyte window reads a window its size.
            let window = min(1 << 20, max(LogScanSplit.minimumShareBytes, limit - start))
            reader = try LogFileReader(file: file, from: start, end: size, limits: options.limits, windowSize: window)
        } catch {
            piece.end = .unreadable(position: start, VerifyFinding(.unreadable, file: path, "\(error)"))
            return piece
        }
        let context = CodecContext()
        var shown = start
        do {
            while true {
                let position = reader.position
                if position >= limit {
                    piece.end = .boundary(position)
                    break
                }
                if position - shown >= Self.progressStep {
                    progress?.advance(by: position - shown, file: path)
                    shown = position
                }
                let entry: LogEntry
                do {
                    guard let next = try reader.next() else {
                        piece.end = end(at: reader.stop, position: position)
                        break
                    }
                    entry = next
                } catch let error as StrataFormatError {
                    if position == 0 && baseOffset == nil {
                        piece.end = .foreign(VerifyFinding(.notKafkaFormat, file: path, position: 0, "not a Kafka segment: the first entry is unreadable (\(error.message))"))
                        break
                    }
                    let finding = VerifyFinding(.corruptEntry, file: path, position: position, offset: error.baseOffset, error.message)
                    guard try reader.skipEntry() else {
                        piece.end = .tail(finding)
                        break
                    }
                    piece.append(ScannedEntry(position: position, size: reader.position - position, verdict: .unframed, findings: [finding]))
                    continue
                }
                piece.append(examine(entry, context: context))
            }
        } catch {
            piece.end = .unreadable(position: reader.position, VerifyFinding(.unreadable, file: path, "\(error)"))
        }
        progress?.advance(by: reader.position - shown, file: path)
        return piece
    }

    /// Bytes between progress reports (each takes the bar's lock).
    private static let progressStep = 1 << 20

    /// How the reader's stop at `position` ends the file.
    private func end(at stop: LogStop?, position: Int) -> LogScanPiece.End {
        switch stop {
        case .partialEntry(let at, let declared, let available)?:
            if at == 0 && baseOffset == nil {
                return .foreign(VerifyFinding(.notKafkaFormat, file: path, position: 0, declared: "\(declared) bytes", computed: "\(available) bytes",
                                              "not a Kafka segment: its first entry runs past the end of the file"))
            }
            return .tail(VerifyFinding(.partialTail, file: path, position: at, declared: "\(declared) bytes", computed: "\(available) bytes",
                                       "the last entry runs past the end of the file (a torn write)"))
        case .trailingBytes(let at, let count)?:
            return .tail(VerifyFinding(.trailingBytes, file: path, position: at, computed: "\(count) bytes", "stray bytes after the last entry"))
        case .endOfData?, nil:
            return .endOfData(position: position)
        }
    }

    /// The checks of one whole entry that need nothing but the entry.
    private func examine(_ entry: LogEntry, context: CodecContext) -> ScannedEntry {
        let position = entry.position
        var scanned = ScannedEntry(position: position, size: entry.sizeInBytes, verdict: .damaged)
        guard entry.isValid else {
            scanned.findings.append(VerifyFinding(.crcMismatch, file: path, position: position, offset: entry.storedOffset,
                                                  declared: String(entry.storedCRC), computed: String(entry.computedCRC), "stored CRC does not match the entry's bytes"))
            return scanned
        }
        let first: Int64
        do {
            first = try entry.firstOffset(limits: options.limits)
        } catch {
            scanned.findings.append(VerifyFinding(.invalidRecords, file: path, position: position, offset: entry.storedOffset, error.message))
            return scanned
        }
        let last = entry.lastOffset
        scanned.maxTimestamp = entry.maxTimestamp
        if last < first {
            scanned.findings.append(VerifyFinding(.offsetOrder, file: path, position: position, offset: first, declared: "last offset \(last)",
                                                  computed: "first offset \(first)", "the batch's last offset is below its first"))
        }
        if entry.maxTimestamp > options.now + options.futureThresholdMs {
            scanned.findings.append(VerifyFinding(.futureTimestamp, file: path, position: position, offset: last, declared: String(entry.maxTimestamp),
                                                  computed: "now \(options.now)", "a timestamp more than \(options.futureThresholdMs) ms in the future"))
        }
        if case .batch(let batch) = entry, batch.header.isControl {
            do {
                if try batch.controlType(limits: options.limits) == .abort { scanned.abortMarker = (batch.header.baseOffset, batch.header.producerId) }
            } catch {
                scanned.findings.append(VerifyFinding(.invalidRecords, file: path, position: position, offset: first, "control batch: \(error.message)"))
            }
        }
        var keep = true
        if options.deep {
            let (records, finding) = checkRecords(of: entry, context: context)
            scanned.records = records
            if let finding {
                scanned.findings.append(finding)
                keep = false
            }
        } else if case .batch(let batch) = entry {
            scanned.records = Int(batch.header.recordsCount)
        } else {
            scanned.records = 1
        }
        scanned.verdict = .checked(firstOffset: first, lastOffset: last, keep: keep)
        return scanned
    }

    /// `--deep`: every record parses (and decompresses), the count and offsets agree with the
    /// header, inner legacy messages carry valid CRCs. Returns the records decoded and the
    /// finding that makes the entry damaged, if any.
    private func checkRecords(of entry: LogEntry, context: CodecContext) -> (records: Int, finding: VerifyFinding?) {
        let position = entry.position
        do {
            switch entry {
            case .batch(let batch):
                let h = batch.header
                let records = try batch.records(limits: options.limits, context: context)
                if records.count != Int(h.recordsCount) {
                    return (records.count, VerifyFinding(.recordCountMismatch, file: path, position: position, offset: h.baseOffset,
                                                         declared: "\(h.recordsCount) records", computed: "\(records.count) records", "record count disagrees with the header"))
                }
                var previous: Int64? = nil
                for record in records {
                    if record.offset < h.baseOffset || record.offset > h.lastOffset || record.offset <= (previous ?? .min) {
                        return (records.count, VerifyFinding(.recordCountMismatch, file: path, position: position, offset: record.offset,
                                                             declared: "offsets \(h.baseOffset)...\(h.lastOffset)", computed: "record offset \(record.offset)",
                                                             "a record offset outside the batch or out of order"))
                    }
                    previous = record.offset
                }
                return (records.count, nil)
            case .legacy(let legacy):
                let inner = try legacy.innerMessages(limits: options.limits, context: context)
                for message in inner where !message.isValid {
                    return (inner.count, VerifyFinding(.crcMismatch, file: path, position: position, offset: message.offset,
                                                       declared: String(message.crc), computed: String(message.computedCRC), "an inner message's CRC does not match"))
                }
                return (inner.count, nil)
            }
        } catch {
            return (0, VerifyFinding(.invalidRecords, file: path, position: position, offset: entry.storedOffset, error.message))
        }
    }
}
