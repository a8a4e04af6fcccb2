// A child process for crash tests: appends one-record batches to a partition with fsync on
// every append, and prints "<offset> <id>" for each acknowledged record, until it is killed.
//
// Usage: strata-crash-writer PARTITION_DIR FIRST_ID [COUNT]
import Foundation
import NIOCore
import Strata

let arguments = CommandLine.arguments
guard arguments.count >= 3, let firstId = Int(arguments[2]) else {
    FileHandle.standardError.write("usage: strata-crash-writer PARTITION_DIR FIRST_ID [COUNT]\n".data(using: .utf8)!)
    exit(64)
}
let count = arguments.count > 3 ? Int(arguments[3]) ?? Int.max : Int.max
var config = LogConfig()
config.segmentBytes = 16 * 1024
config.indexIntervalBytes = 512
config.segmentIndexBytes = 8 * 1024
var options = PartitionOpenOptions()
options.cleanShutdown = false
do {
    let log = try PartitionLog.open(directory: arguments[1], config: config, options: options)
    var id = firstId
    let end = firstId.addingReportingOverflow(count).overflow ? Int.max : firstId + count
    while id < end {
        var builder = RecordBatchBuilder(.init())
        try builder.append(timestamp: systemMilliseconds(), key: ByteBuffer(string: "id"), value: ByteBuffer(string: "rec-\(id)-" + String(repeating: "p", count: id % 200)))
        let result = try log.appendAsLeader(try builder.build(), durability: .fsynced)
        FileHandle.standardOutput.write("\(result.firstOffset) \(id)\n".data(using: .utf8)!)
        id += 1
    }
    try log.close()
} catch {
    FileHandle.standardError.write("strata-crash-writer: \(error)\n".data(using: .utf8)!)
    exit(2)
}
