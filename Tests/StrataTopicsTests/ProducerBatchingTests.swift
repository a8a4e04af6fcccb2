import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Strata
import StrataTopics
import Testing

/// How sends become batches: full batches go at once, a batch that is not full waits for
/// linger.ms, and with linger.ms 0 the records sent while one batch is written share the next.
@Suite struct ProducerBatchingTests {
    /// Sends `count` records of about 100 bytes with callbacks; returns a group left by each.
    private func sendMany(_ producer: Producer, topic: String, count: Int, results: NIOLockedValueBox<[Int: RecordMetadata]>) -> DispatchGroup {
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            producer.send(ProducerRecord(topic: topic, partition: 0, key: "key-\(index)", value: String(repeating: "v", count: 90))) { result in
                if case .success(let metadata) = result { results.withLockedValue { $0[index] = metadata } }
                done.leave()
            }
        }
        return done
    }

    /// A topic and a producer whose batches hold `batchSize` bytes and otherwise linger ten minutes.
    private func lingeringProducer(_ topics: Topics, topic: String, partitions: Int, batchSize: Int) throws -> Producer {
        try topics.create(topic, partitions: partitions)
        var config = ProducerConfig(acks: .leader, lingerMs: 600_000)
        config.batchSize = batchSize
        return topics.makeProducer(config)
    }

    @Test func fullBatchesAreWrittenWithoutWaitingForTheLinger() throws {
        try withTopics { topics, directory in
            let producer = try lingeringProducer(topics, topic: "full", partitions: 1, batchSize: 2_000)
            let results = NIOLockedValueBox([Int: RecordMetadata]())
            _ = sendMany(producer, topic: "full", count: 100, results: results)
            // No flush: the full batches must arrive long before a ten-minute linger.
            let deadline = Date().addingTimeInterval(10)
            while results.withLockedValue({ $0.count }) < 80 && Date() < deadline { usleep(1_000) }
            #expect(results.withLockedValue { $0.count } >= 80)
            producer.flush()
            #expect(results.withLockedValue { $0.count } == 100)
            let entries = try storedEntries(directory.path, TopicPartition(topic: "full", partition: 0))
            #expect(entries.count > 1)
            #expect(entries.allSatisfy { $0.sizeInBytes <= 2_000 })
            let offsets = results.withLockedValue { results in (0..<100).map { results[$0]!.offset } }
            #expect(offsets == Array(0..<100))
        }
    }

    @Test func aBatchThatIsNotFullIsWrittenWhenItsLingerEnds() throws {
        try withTopics { topics, directory in
            try topics.create("linger", partitions: 1)
            let producer = topics.makeProducer(ProducerConfig(acks: .leader, lingerMs: 30))
            let results = NIOLockedValueBox([Int: RecordMetadata]())
            let started = Date()
            let done = sendMany(producer, topic: "linger", count: 5, results: results)
            // No flush: the linger timer writes the batch.
            #expect(done.wait(timeout: .now() + 10) == .success)
            #expect(Date().timeIntervalSince(started) >= 0.025)
            let entries = try storedEntries(directory.path, TopicPartition(topic: "linger", partition: 0))
            #expect(entries.count == 1)
            #expect(entries.first?.lastOffset == 4)
        }
    }

    @Test func withoutLingerRecordsSentDuringAWriteShareTheNextBatch() throws {
        try withTopics { topics, directory in
            try topics.create("eager", partitions: 1)
            let producer = topics.makeProducer(ProducerConfig(acks: .leader, lingerMs: 0))
            let results = NIOLockedValueBox([Int: RecordMetadata]())
            let done = sendMany(producer, topic: "eager", count: 3_000, results: results)
            producer.flush()
            #expect(done.wait(timeout: .now() + 30) == .success)
            let entries = try storedEntries(directory.path, TopicPartition(topic: "eager", partition: 0))
            #expect(entries.reduce(0) { $0 + Int($1.lastOffset - (try! $1.firstOffset()) + 1) } == 3_000)
            // Writes take far longer than sends: batches form although nothing lingers.
            #expect(entries.count < 3_000)
            #expect(results.withLockedValue { $0.count } == 3_000)
        }
    }

    @Test func idempotentSequencesRunOnAcrossBatchesAndPartitions() throws {
        try withTopics { topics, directory in
            let producer = try lingeringProducer(topics, topic: "numbered", partitions: 2, batchSize: 1_000)
            for index in 0..<60 {
                producer.send(ProducerRecord(topic: "numbered", partition: Int32(index % 2), key: nil, value: String(repeating: "s", count: 80))) { _ in }
            }
            producer.flush()
            for partition in 0..<2 {
                let entries = try storedEntries(directory.path, TopicPartition(topic: "numbered", partition: Int32(partition)))
                #expect(entries.count > 1)
                var expected: Int32 = 0
                for case .batch(let batch) in entries {
                    #expect(batch.header.producerId == producer.producerId)
                    #expect(batch.header.baseSequence == expected)
                    expected += batch.header.recordsCount
                }
                #expect(expected == 30)
            }
        }
    }

    /// Sends without waiting for the write; the error of a send refused at once, if any.
    private func sendBuffered(_ producer: Producer, _ record: ProducerRecord) -> TopicsError? {
        let refusal = NIOLockedValueBox<TopicsError?>(nil)
        producer.send(record) { result in
            if case .failure(let error as TopicsError) = result { refusal.withLockedValue { $0 = error } }
        }
        return refusal.withLockedValue { $0 }
    }

    @Test func aFullBufferMakesSendsWaitForWritesAndThenFail() throws {
        try withTopics { topics, directory in
            try topics.create("bounded", partitions: 1)
            // Records linger (nothing is ready to write) until the buffer holds 4 KiB.
            var config = ProducerConfig(acks: .leader, lingerMs: 600_000)
            config.batchSize = 1 << 20
            config.bufferMemory = 4_096
            config.maxBlockMs = 300
            let producer = topics.makeProducer(config)
            let record = ProducerRecord(topic: "bounded", partition: 0, key: nil, value: String(repeating: "b", count: 200))
            var accepted = 0
            var refusal: TopicsError? = nil
            let started = Date()
            while accepted < 100 {
                refusal = sendBuffered(producer, record)
                if refusal != nil { break }
                accepted += 1
            }
            #expect(refusal?.code == .bufferFull)
            #expect(refusal?.message.contains("buffer.memory (4096 bytes)") == true)
            #expect(Date().timeIntervalSince(started) >= 0.25)
            #expect(accepted >= 10 && accepted * 200 <= 4_096)
            producer.flush()
            // A send waiting for room goes on as soon as a flush writes what is held.
            var patient = config
            patient.maxBlockMs = 20_000
            patient.acks = .none
            let second = topics.makeProducer(patient)
            for _ in 0..<accepted { #expect(sendBuffered(second, record) == nil) }
            let enqueued = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                second.send(record) { _ in enqueued.signal() }
            }
            #expect(enqueued.wait(timeout: .now() + 0.2) == .timedOut)
            second.flush()
            #expect(enqueued.wait(timeout: .now() + 20) == .success)
            second.flush()
            let entries = try storedEntries(directory.path, TopicPartition(topic: "bounded", partition: 0))
            #expect(entries.reduce(0) { $0 + Int($1.lastOffset - (try! $1.firstOffset()) + 1) } == 2 * accepted + 1)
        }
    }

    @Test func aSteadyStreamOfSendsHoldsUpNeitherFlushNorLingerTimers() throws {
        try withTopics { topics, _ in
            try topics.create("stream", partitions: 2)
            // acks=all: each write waits for an fsync, so the writer always finds a full batch
            // of the stream ready when it is done with the last one.
            var config = ProducerConfig(acks: .all, lingerMs: 20)
            config.batchSize = 2_000
            config.bufferMemory = 64 << 10
            let producer = topics.makeProducer(config)
            let stop = NIOLockedValueBox(false)
            let stopped = DispatchSemaphore(value: 0)
            // Full batches for partition 0, without a pause, for up to 20 s.
            Thread.detachNewThread {
                let deadline = Date().addingTimeInterval(20)
                while !stop.withLockedValue({ $0 }) && Date() < deadline {
                    producer.send(ProducerRecord(topic: "stream", partition: 0, key: nil, value: String(repeating: "s", count: 500))) { _ in }
                }
                stopped.signal()
            }
            defer {
                stop.withLockedValue { $0 = true }
                stopped.wait()
            }
            usleep(100_000)
            // One record for partition 1 waits only for its linger, not for the stream to end.
            let lingered = DispatchSemaphore(value: 0)
            producer.send(ProducerRecord(topic: "stream", partition: 1, key: nil, value: "alone")) { _ in lingered.signal() }
            let sent = Date()
            #expect(lingered.wait(timeout: .now() + 5) == .success)
            #expect(Date().timeIntervalSince(sent) < 1)
            // A flush returns while the stream goes on.
            let started = Date()
            try producer.sendSync(ProducerRecord(topic: "stream", partition: 1, key: nil, value: "flushed"))
            producer.flush()
            #expect(Date().timeIntervalSince(started) < 1)
        }
    }

    /// Sends record 0 while the disk is slow, then 40 more that pile up as ready batches
    /// behind its fsync; `beforeTheGroup` runs once they are queued. Returns every send's
    /// result, by record number.
    private func sendBehindASlowFsync(_ fileSystem: FailingSyncFileSystem, _ producer: Producer, topic: String,
                                      beforeTheGroup: () -> Void) -> [Int: Result<RecordMetadata, any Error>] {
        let results = NIOLockedValueBox([Int: Result<RecordMetadata, any Error>]())
        let done = DispatchGroup()
        func send(_ index: Int) {
            done.enter()
            producer.send(ProducerRecord(topic: topic, partition: 0, key: "k\(index)", value: String(repeating: "g", count: 100))) { result in
                results.withLockedValue { $0[index] = result }
                done.leave()
            }
        }
        fileSystem.syncDelay.withLockedValue { $0 = 300_000 }
        send(0)
        usleep(50_000)
        for index in 1...40 { send(index) }
        beforeTheGroup()
        fileSystem.syncDelay.withLockedValue { $0 = 0 }
        _ = done.wait(timeout: .now() + 30)
        return results.withLockedValue { $0 }
    }

    /// A topic and an acks=all producer whose batches hold 1,000 bytes.
    private func acksAllProducer(_ topics: Topics, topic: String) throws -> Producer {
        try topics.create(topic, partitions: 1)
        var config = ProducerConfig(acks: .all)
        config.batchSize = 1_000
        config.retryBackoffMs = 1
        return topics.makeProducer(config)
    }

    @Test func acksAllMakesBatchesReadyTogetherDurableWithOneFsync() throws {
        try withFailingDisk { topics, directory, fileSystem in
            let producer = try acksAllProducer(topics, topic: "group")
            var syncsBefore = 0
            let results = sendBehindASlowFsync(fileSystem, producer, topic: "group") { syncsBefore = fileSystem.syncs.withLockedValue { $0 } }
            let offsets = try (0...40).map { try results[$0]!.get().offset }
            #expect(offsets == (0...40).map { Int64($0) })
            let entries = try storedEntries(directory.path, TopicPartition(topic: "group", partition: 0))
            #expect(entries.count >= 5)
            // Record 0's fsync, then one for all the batches that were ready together.
            #expect(fileSystem.syncs.withLockedValue { $0 } - syncsBefore <= 2)
            #expect(try topics.describe("group").partitions[0].durableOffset == 41)
        }
    }

    @Test func aFailedGroupFsyncIsRetriedBatchByBatchWithoutDuplicates() throws {
        try withFailingDisk { topics, directory, fileSystem in
            let producer = try acksAllProducer(topics, topic: "regroup")
            // Record 0's fsync has passed its failure check; the group's fsync fails.
            let results = sendBehindASlowFsync(fileSystem, producer, topic: "regroup") { fileSystem.failuresLeft.withLockedValue { $0 = 1 } }
            let offsets = try (0...40).map { try results[$0]!.get().offset }
            #expect(offsets == (0...40).map { Int64($0) })
            #expect(try topics.describe("regroup").partitions[0].durableOffset == 41)
            #expect(try readAll(topics, "regroup").map(\.keyString) == (0...40).map { "k\($0)" })
            var expected: Int32 = 0
            for case .batch(let batch) in try storedEntries(directory.path, TopicPartition(topic: "regroup", partition: 0)) {
                #expect(batch.header.baseSequence == expected)
                expected += batch.header.recordsCount
            }
            #expect(expected == 41)
        }
    }
}
