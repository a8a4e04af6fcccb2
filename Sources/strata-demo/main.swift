// strata-demo: writes a sample partition into the embedded data directory, in Kafka's exact
// on-disk format, then reads it back and prints what it holds. `make demo` runs it, then
// dumps the segment with strata-dump.
//
// Usage: strata-demo [DATA_DIR]   (default: ./strata-data, or $STRATA_DATA_DIR)
import Foundation
import NIOCore
import Strata

let environment = ProcessInfo.processInfo.environment
let dataDirectory = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : environment["STRATA_DATA_DIR"] ?? "strata-data"
let partitionDirectory = URL(fileURLWithPath: dataDirectory).appendingPathComponent("demo-0")
let segmentPath = partitionDirectory.appendingPathComponent("00000000000000000000.log").path

/// A segment being written in memory: batches as producers send them, stamped with offsets
/// as a broker would.
struct SampleSegment {
let customers = ["alice", "bob", "carol", "dave", "erin"]
let items = ["espresso", "croissant", "bagel", "latte", "muffin", "tea"]
let context = CodecContext()
var log = ByteBuffer()
var nextOffset: Int64 = 0
var clock: Int64 = 1_764_000_000_000

/// Appends one batch of order events.
mutating func appendOrders(_ count: Int, compression: Compression, producerId: Int64 = -1, transactional: Bool = false) throws {
    var configuration = RecordBatchBuilder.Configuration(baseOffset: nextOffset, compression: compression)
    configuration.partitionLeaderEpoch = 0
    if producerId >= 0 {
        configuration.producerId = producerId
        configuration.producerEpoch = 0
        configuration.baseSequence = 0
        configuration.isTransactional = transactional
    }
    var builder = RecordBatchBuilder(configuration)
    for i in 0..<count {
        clock += 137
        let customer = customers[(Int(nextOffset) + i) % customers.count]
        let item = items[(Int(nextOffset) * 7 + i) % items.count]
        let value = "{\"order\":\(nextOffset + Int64(i)),\"customer\":\"\(customer)\",\"item\":\"\(item)\",\"codec\":\"\(compression.codec.name)\"}"
        try builder.append(timestamp: clock, key: ByteBuffer(string: customer), value: ByteBuffer(string: value),
                           headers: [RecordHeader(key: "source", value: ByteBuffer(string: "strata-demo"))])
    }
    let bytes = try builder.build(context: context)
    log.writeImmutableBuffer(bytes)
    nextOffset += Int64(count)
}

/// Appends the COMMIT marker a transaction coordinator writes.
mutating func appendCommit(producerId: Int64) throws {
    clock += 10
    log.writeImmutableBuffer(try RecordBatchBuilder.endTransactionMarker(
        .commit, offset: nextOffset, timestamp: clock, producerId: producerId, producerEpoch: 0, coordinatorEpoch: 1, partitionLeaderEpoch: 0))
    nextOffset += 1
}
}

do {
    var segment = SampleSegment()
    for codec in CompressionCodec.allCases {
        try segment.appendOrders(3, compression: Compression(codec))
    }
    try segment.appendOrders(2, compression: .none, producerId: 1000)
    try segment.appendOrders(2, compression: .lz4, producerId: 2000, transactional: true)
    try segment.appendCommit(producerId: 2000)
    let log = segment.log

    try FileManager.default.createDirectory(at: partitionDirectory, withIntermediateDirectories: true)
    try Data(log.readableBytesView).write(to: URL(fileURLWithPath: segmentPath), options: .atomic)
    let summary = try LogFileSummary.scan(path: segmentPath)
    print("strata-demo: wrote \(segmentPath)")
    print("  \(summary.batches) batches, \(summary.records) records, offsets \(summary.firstOffset ?? -1)–\(summary.lastOffset ?? -1), \(summary.validBytes) bytes")
    print("  codecs: " + summary.codecs.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))
    print("  control records: " + summary.controlRecords.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))
    print("  CRC failures: \(summary.invalidCRCs)")
} catch {
    FileHandle.standardError.write("strata-demo: \(error)\n".data(using: .utf8)!)
    exit(2)
}
