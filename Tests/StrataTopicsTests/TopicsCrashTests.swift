import Foundation
import Strata
import StrataTopics
import StrataSimulation
import Testing

/// A real process producing with acks=all and committing offsets, killed with SIGKILL.
@Suite struct TopicsCrashTests {
    @Test func sigkillLosesNoAcknowledgedRecordAndRedeliversNothingCommitted() throws {
        let writer = executable("strata-topics-crash-writer")
        try #require(FileManager.default.isExecutableFile(atPath: writer.path), "build strata-topics-crash-writer first (swift build)")
        let directory = TemporaryDirectory("crash")
        defer { directory.remove() }
        var acknowledged: [(id: Int, partition: Int32, offset: Int64)] = []
        var lastCommit: [Int32: Int64] = [:]
        for round in 0..<2 {
            let process = Process()
            process.executableURL = writer
            process.arguments = [directory.path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            var text = ""
            let wanted = 100 + Int.random(in: 0..<100)
            var acks = 0
            while acks < wanted {
                let data = PipeReading.available(output.fileHandleForReading)
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
                acks = text.split(separator: "\n").filter { $0.hasPrefix("ACK") }.count
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): the writer stopped by itself")
            text += String(decoding: PipeReading.readToEnd(output.fileHandleForReading), as: UTF8.self)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.first == "ACK", fields.count == 4, let id = Int(fields[1]), let partition = Int32(fields[2]), let offset = Int64(fields[3]) {
                    acknowledged.append((id, partition, offset))
                } else if fields.first == "COMMIT", fields.count == 3, let partition = Int32(fields[1]), let offset = Int64(fields[2]) {
                    lastCommit[partition] = max(lastCommit[partition] ?? 0, offset)
                }
            }
        }
        #expect(acknowledged.count >= 200)
        let topics = try Topics.open(directory: directory.path)
        defer { try? topics.close() }
        let stored = try readAll(topics, "crash")
        var byPosition: [String: String] = [:]
        for record in stored { byPosition["\(record.partition)/\(record.offset)"] = record.valueString }
        // Each run numbers its records from 0; an acknowledged (partition, offset) holds its id.
        for ack in acknowledged {
            #expect(byPosition["\(ack.partition)/\(ack.offset)"] == "id-\(ack.id)", "acknowledged id \(ack.id) at \(ack.partition)/\(ack.offset) is missing")
        }
        let committed = topics.committedOffsets(group: "crash-group")
        for (partition, offset) in lastCommit {
            #expect((committed[TopicPartition(topic: "crash", partition: partition)]?.offset ?? -1) >= offset)
        }
        var config = ConsumerConfig(groupID: "crash-group", autoOffsetReset: .earliest)
        config.enableAutoCommit = false
        let consumer = topics.makeConsumer(config)
        try consumer.subscribe(["crash"])
        let resumed = try consumer.poll(maxRecords: 10_000)
        for record in resumed {
            #expect(record.offset >= lastCommit[record.partition] ?? 0, "offset \(record.offset) of partition \(record.partition) was committed and is delivered again")
        }
    }
}
