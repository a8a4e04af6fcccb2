// strata-demo: the storage engine at work on the embedded data directory. It opens the data
// directory (recovering it if the last run was killed), appends order events in batches of
// every codec, shows an idempotent retry being recognised, commits one transaction and aborts
// another, reads everything back as a read_committed consumer would, looks an offset up by
// time, and shuts down cleanly. Every file it leaves is Kafka's: `make demo` then dumps the
// first segment and its index with strata-dump, in kafka-dump-log's words.
//
// Usage: strata-demo [DATA_DIR]   (default: ./strata-data, or $STRATA_DATA_DIR)
import Foundation
import Logging
import NIOCore
import Strata

let environment = ProcessInfo.processInfo.environment
let dataDirectory = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : environment["STRATA_DATA_DIR"] ?? "strata-data"
let customers = ["alice", "bob", "carol", "dave", "erin"]
let items = ["espresso", "croissant", "bagel", "latte", "muffin", "tea"]

/// A producer's batch of `count` order events starting at event number `first`.
func orders(_ count: Int, first: Int64, compression: Compression, producerId: Int64 = -1, sequence: Int32 = -1,
            transactional: Bool = false, time: Int64) throws -> ByteBuffer {
    var configuration = RecordBatchBuilder.Configuration(compression: compression)
    configuration.producerId = producerId
    configuration.producerEpoch = producerId >= 0 ? 0 : -1
    configuration.baseSequence = sequence
    configuration.isTransactional = transactional
    var builder = RecordBatchBuilder(configuration)
    for i in 0..<count {
        let n = first + Int64(i)
        let customer = customers[Int(n) % customers.count]
        let value = "{\"order\":\(n),\"customer\":\"\(customer)\",\"item\":\"\(items[Int(n * 7) % items.count])\",\"codec\":\"\(compression.codec.name)\"}"
        try builder.append(timestamp: time + Int64(i), key: ByteBuffer(string: customer), value: ByteBuffer(string: value),
                           headers: [RecordHeader(key: "source", value: ByteBuffer(string: "strata-demo"))])
    }
    return try builder.build()
}

do {
    var logger = Logger(label: "strata.demo")
    logger.logLevel = .warning
    var options = PartitionOpenOptions()
    options.logger = logger
    let manager = try LogManager.open(directory: dataDirectory, options: options)
    print("strata-demo: opened \(dataDirectory) (\(manager.hadCleanShutdown ? "clean shutdown last time" : "first run or unclean shutdown: recovered"))")
    for (partition, report) in manager.loadReports where !report.actions.isEmpty {
        for action in report.actions { print("  recovery of \(partition.directoryName): \(action)") }
    }
    try manager.setConfigOverrides(["segment.bytes": "4096", "index.interval.bytes": "512"], forTopic: "orders")
    let log = try manager.createPartition(TopicPartition(topic: "orders", partition: 0))
    let startEnd = log.logEndOffset
    var time = systemMilliseconds()

    for codec in CompressionCodec.allCases {
        let result = try log.appendAsLeader(try orders(8, first: log.logEndOffset, compression: Compression(codec), time: time))
        print("  appended 8 orders compressed with \(codec.name): offsets \(result.firstOffset)–\(result.lastOffset)")
        time += 100
    }
    let producer = Int64(1_000 + startEnd)  // a new idempotent producer each run
    let batch = try orders(3, first: log.logEndOffset, compression: .lz4, producerId: producer, sequence: 0, time: time)
    let first = try log.appendAsLeader(batch, durability: .fsynced)
    let retry = try log.appendAsLeader(batch, durability: .fsynced)
    print("  idempotent producer \(producer): offsets \(first.firstOffset)–\(first.lastOffset), fsynced; its retry was \(retry.isDuplicate ? "recognised and not written again" : "WRITTEN TWICE")")

    let committed = try log.appendAsLeader(try orders(2, first: log.logEndOffset, compression: .zstd, producerId: producer + 1, sequence: 0, transactional: true, time: time))
    try log.appendTransactionMarker(.commit, producerId: producer + 1, producerEpoch: 0, coordinatorEpoch: 1)
    let aborted = try log.appendAsLeader(try orders(2, first: log.logEndOffset, compression: .none, producerId: producer + 2, sequence: 0, transactional: true, time: time))
    try log.appendTransactionMarker(.abort, producerId: producer + 2, producerEpoch: 0, coordinatorEpoch: 1)
    print("  transaction of producer \(producer + 1) committed (offsets \(committed.firstOffset)–\(committed.lastOffset)), of producer \(producer + 2) aborted (offsets \(aborted.firstOffset)–\(aborted.lastOffset))")

    // Read back this run's records as a read_committed consumer: aborted data is skipped.
    var offset = startEnd
    var seen = 0, skipped = 0
    while offset < log.logEndOffset {
        let fetch = try log.read(from: offset, maxBytes: 16 * 1024, isolation: .committed)
        guard let last = fetch.entries.last else { break }
        let abortedRanges = fetch.abortedTransactions.map { ($0.producerId, $0.firstOffset...$0.lastOffset) }
        for entry in fetch.entries {
            guard case .batch(let batch) = entry, !batch.header.isControl else { continue }
            let isAborted = abortedRanges.contains { $0.0 == batch.header.producerId && $0.1.contains(batch.header.baseOffset) }
            let count = try batch.records().filter { $0.offset >= offset }.count
            if isAborted { skipped += count } else { seen += count }
        }
        offset = last.lastOffset + 1
    }
    print("  read back \(seen) committed records of this run; \(skipped) records of the aborted transaction skipped")
    if let found = try log.offset(forTimestamp: time) {
        print("  the first record at or after time \(time) is at offset \(found.offset)")
    }
    print("  partition orders-0: offsets \(log.logStartOffset)–\(log.logEndOffset - 1) in \(log.segmentBaseOffsets.count) segments, \(log.sizeInBytes) bytes")
    try manager.close()
    print("strata-demo: shut down cleanly; the files in \(dataDirectory)/orders-0 are Kafka's and any Kafka tool reads them")
} catch {
    FileHandle.standardError.write("strata-demo: \(error)\n".data(using: .utf8)!)
    exit(2)
}
