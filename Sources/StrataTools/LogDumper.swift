import Foundation
import NIOCore
import Strata

/// Prints `.log` files (and KRaft snapshots, which use the same framing) in the words and
/// field order of Kafka's `kafka-dump-log.sh`, so scripts written against it keep working.
public struct LogDumper {
    /// What to print.
    public struct Options: Sendable {
        /// Print one line per record under each batch (`--deep-iteration`).
        public var deepIteration = false
        /// Print keys and payloads (`--print-data-log`; implies deep iteration).
        public var printDataLog = false
        /// Leave out per-record metadata (`--skip-record-metadata`).
        public var skipRecordMetadata = false
        /// Read at most this many bytes of each file (`--max-bytes`).
        public var maxBytes: Int? = nil
        /// For indexes: check them and print only problems (`--verify-index-only`).
        public var verifyIndexOnly = false
        /// For indexes: run Kafka's sanity check and print only its verdict (`--index-sanity-check`).
        public var indexSanityCheck = false
        /// The largest batch read at an index position (`--max-message-size`).
        public var maxMessageSize = 5_242_880
        /// One JSON object per line instead of kafka-dump-log's text (`--json`).
        public var json = false
        /// How payloads appear in JSON output (`--payload-encoding`).
        public var payloadEncoding = PayloadEncoding.utf8
        /// Decoding limits.
        public var limits = DecodingLimits.default
        /// Decode keys and values as `__consumer_offsets` or `__transaction_state` records
        /// (`--offsets-decoder`, `--transaction-log-decoder`; implies `printDataLog`).
        public var coordinatorDecoder: CoordinatorRecordDecoder? = nil
        /// Creates the defaults.
        public init() {}
    }

    let options: Options
    let out: ToolOutput
    let err: ToolOutput
    private var nonConsecutive: [(String, [(Int64, Int64)])] = []
    var indexReports = IndexReports()
    /// True once any file had a problem.
    public internal(set) var hadProblems = false

    /// Creates a dumper writing data to `out` and problems to `err`.
    public init(options: Options, out: ToolOutput, err: ToolOutput) {
        self.options = options
        self.out = out
        self.err = err
    }

    var deep: Bool { options.deepIteration || options.printDataLog }

    /// Dumps one file given by `path` (printed as given).
    public mutating func dumpLog(path: String) {
        textLine("Dumping \(path)")
        let name = (path as NSString).lastPathComponent
        if name.hasSuffix(".checkpoint") {
            let parts = name.dropLast(".checkpoint".count).split(separator: "-")
            if parts.count == 2, let end = Int64(parts[0]), let epoch = Int64(parts[1]) {
                textLine("Snapshot end offset: \(end), epoch: \(epoch)")
            } else {
                textLine("KRaft bootstrap snapshot")
            }
        } else {
            let base = Int64(name.split(separator: ".").first ?? "") ?? 0
            textLine("Log starting offset: \(base)")
        }
        var reader: LogFileReader
        do {
            reader = try LogFileReader(path: path, maxBytes: options.maxBytes, limits: options.limits)
        } catch {
            fail("\(error)")
            return
        }
        let context = CodecContext()
        var lastOffset: Int64? = nil
        var gaps: [(Int64, Int64)] = []
        while true {
            let entry: LogEntry?
            do {
                entry = try reader.next()
            } catch {
                fail("\(error)", file: path, position: reader.position)
                // Go on past a bad entry whenever its size field still frames it.
                if options.json, (try? reader.skipEntry()) == true { continue }
                break
            }
            guard let entry else { break }
            if !entry.isValid { hadProblems = true }  // printed as isvalid: false; the exit code says so too
            if options.json {
                printJSON(entry, file: path, context: context)
                continue
            }
            printEntry(entry)
            guard deep else { continue }
            do {
                try printRecords(of: entry, context: context, lastOffset: &lastOffset, gaps: &gaps)
            } catch {
                fail("\(error)")
            }
        }
        if !gaps.isEmpty { nonConsecutive.append((absolute(path), gaps)) }
        if options.maxBytes == nil, reader.position < reader.end, reader.stop != nil, !options.json {
            out.line("Found \(reader.end - reader.position) invalid bytes at the end of \(name)")
        }
    }

    /// Dumps one file of any kind Kafka's tool knows, chosen by the text after the last '.';
    /// returns false for an unknown kind (which the caller reports as ignored).
    public mutating func dump(path: String) -> Bool {
        switch path.split(separator: ".").last.map(String.init) ?? "" {
        case "log", "checkpoint": dumpLog(path: path)
        case "index": dumpOffsetIndex(path: path)
        case "timeindex": dumpTimeIndex(path: path)
        case "txnindex": dumpTransactionIndex(path: path)
        case "snapshot": dumpProducerSnapshot(path: path)
        default: return false
        }
        return true
    }

    /// Prints the reports Kafka prints after all files (index problems, non-consecutive offsets).
    public mutating func finish() {
        finishIndexReports()
        for (path, gaps) in nonConsecutive {
            err.line("Non-consecutive offsets in \(path)")
            for (a, b) in gaps { err.line("  \(a) is followed by \(b)") }
        }
        nonConsecutive = []
    }

    /// A line of kafka-dump-log's text, left out of JSON output.
    func textLine(_ text: String) {
        if !options.json { out.line(text) }
    }

    func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    mutating func fail(_ message: String, file: String? = nil, position: Int? = nil) {
        hadProblems = true
        guard options.json else {
            err.line(message)
            return
        }
        var line = JSONLine()
        line.add("type", "error")
        line.add("file", file)
        line.add("position", position)
        line.add("message", message)
        line.writeLine(to: out)
    }

    private func printEntry(_ entry: LogEntry) {
        switch entry {
        case .batch(let batch):
            let h = batch.header
            let horizon = h.deleteHorizonMs.map { "OptionalLong[\($0)]" } ?? "OptionalLong.empty"
            let codec = h.compression?.name ?? "unknown(\(h.attributes.codecID))"
            out.line("baseOffset: \(h.baseOffset) lastOffset: \(h.lastOffset) count: \(h.recordsCount) baseSequence: \(h.baseSequence) lastSequence: \(h.lastSequence) producerId: \(h.producerId) producerEpoch: \(h.producerEpoch) partitionLeaderEpoch: \(h.partitionLeaderEpoch) isTransactional: \(h.isTransactional) isControl: \(h.isControl) deleteHorizonMs: \(horizon) position: \(batch.position) \(h.timestampType): \(h.maxTimestamp) size: \(h.sizeInBytes) magic: 2 compresscodec: \(codec) crc: \(h.crc) isvalid: \(batch.isValid)")
        case .legacy(let legacy):
            let m = legacy.message
            let codec = CompressionCodec(rawValue: m.codecID)?.name ?? "unknown(\(m.codecID))"
            out.line("offset: \(m.offset) position: \(legacy.position) \(m.timestampType): \(m.timestamp ?? -1) size: \(m.sizeInBytes) magic: \(m.magic) compresscodec: \(codec) crc: \(m.crc) isvalid: \(m.isValid)")
        }
    }

    private func printRecords(of entry: LogEntry, context: CodecContext, lastOffset: inout Int64?, gaps: inout [(Int64, Int64)]) throws {
        func track(_ offset: Int64) {
            if let last = lastOffset, offset != last + 1 { gaps.append((last, offset)) }
            lastOffset = offset
        }
        switch entry {
        case .batch(let batch):
            let h = batch.header
            for record in try batch.records(limits: options.limits, context: context) {
                track(record.offset)
                var line = "|"
                if !options.skipRecordMetadata {
                    let sequence = h.baseSequence >= 0 ? RecordBatchHeader.sequence(base: h.baseSequence, plus: Int32(truncatingIfNeeded: record.offset - h.baseOffset)) : -1
                    line += " offset: \(record.offset) \(h.timestampType): \(record.timestamp) keySize: \(record.keySize) valueSize: \(record.valueSize) sequence: \(sequence) headerKeys: [\(record.headers.map(\.key).joined(separator: ","))]"
                }
                if h.isControl {
                    if !options.skipRecordMetadata { line += Self.controlDescription(record) }
                } else if options.printDataLog {
                    line += dataText(key: record.key, value: record.value, offset: record.offset)
                }
                out.line(line)
            }
        case .legacy(let legacy):
            for message in try legacy.innerMessages(limits: options.limits, context: context) {
                track(message.offset)
                var line = "|"
                if !options.skipRecordMetadata {
                    line += " offset: \(message.offset) \(message.timestampType): \(message.timestamp ?? -1) keySize: \(message.key?.readableBytes ?? -1) valueSize: \(message.value?.readableBytes ?? -1) isValid: \(message.isValid) crc: \(message.crc)}"
                }
                if options.printDataLog {
                    line += dataText(key: message.key, value: message.value, offset: message.offset)
                }
                out.line(line)
            }
        }
    }

    /// ` key: … payload: …` as strings, or as the coordinator decoder reads them.
    private func dataText(key: ByteBuffer?, value: ByteBuffer?, offset: Int64) -> String {
        let texts: (key: String?, payload: String?) = options.coordinatorDecoder.map { $0.decode(key: key, value: value, offset: offset) }
            ?? (key.map { String(buffer: $0) }, value.map { String(buffer: $0) })
        return (texts.key.map { " key: \($0)" } ?? "") + (texts.payload.map { " payload: \($0)" } ?? "")
    }

    static func controlDescription(_ record: Record) -> String {
        guard let type = try? ControlRecordType(key: record.key) else { return " controlType: invalid" }
        if type.isTransactionMarker, let marker = try? EndTransactionMarker(value: record.value) {
            return " endTxnMarker: \(type.name) coordinatorEpoch: \(marker.coordinatorEpoch)"
        }
        return " controlType: \(type.name)(\(type.id))"
    }
}
