import Foundation
import MetricsTestKit
import NIOCore
import Strata
import StrataTopics
import Testing

/// Reading records: polls and their limits, seeks, offset reset, commits and resuming,
/// waiting for new records, metrics.
@Suite struct ConsumerTests {
    static func produce(_ topics: Topics, _ topic: String, count: Int, partition: Int32 = 0, from start: Int = 0, timestamp: ((Int) -> Int64)? = nil) throws {
        let producer = topics.makeProducer(ProducerConfig(acks: .leader))
        for index in start..<(start + count) {
            try producer.sendSync(ProducerRecord(topic: topic, partition: partition, key: "k\(index)", value: "v\(index)", timestamp: timestamp?(index)))
        }
    }

    @Test func pollReturnsRecordsInOrderWithinTheLimits() throws {
        try withTopics { topics, _ in
            try topics.create("ordered", partitions: 1)
            try Self.produce(topics, "ordered", count: 50)
            var config = ConsumerConfig(autoOffsetReset: .earliest)
            config.maxPollRecords = 20
            let consumer = topics.makeConsumer(config)
            try consumer.assign([TopicPartition(topic: "ordered", partition: 0)])
            #expect(try consumer.poll().map(\.offset) == Array(0..<20))
            #expect(try consumer.poll(maxRecords: 5).map(\.offset) == Array(20..<25))
            #expect(try consumer.poll(maxRecords: 100).map(\.offset) == Array(25..<50))
            #expect(try consumer.poll().isEmpty)
            #expect(try consumer.position(TopicPartition(topic: "ordered", partition: 0)) == 50)
        }
    }

    @Test func fetchByteLimitsBoundEachPollButAlwaysReturnABatch() throws {
        try withTopics { topics, _ in
            try topics.create("bytes", partitions: 2)
            for partition in Int32(0)..<2 { try Self.produce(topics, "bytes", count: 10, partition: partition) }
            var config = ConsumerConfig(autoOffsetReset: .earliest)
            config.maxPartitionFetchBytes = 1    // smaller than any batch: one batch per partition
            config.fetchMaxBytes = 1             // smaller still: one partition per poll
            let consumer = topics.makeConsumer(config)
            try consumer.assign([TopicPartition(topic: "bytes", partition: 0), TopicPartition(topic: "bytes", partition: 1)])
            let first = try consumer.poll()
            #expect(first.count == 1)
            var all = first
            while case let next = try consumer.poll(), !next.isEmpty {
                #expect(next.count == 1)
                all += next
            }
            #expect(all.count == 20)
        }
    }

    @Test func seeksMoveThePosition() throws {
        try withTopics { topics, _ in
            try topics.create("seek", partitions: 1)
            try Self.produce(topics, "seek", count: 10, timestamp: { 1_000 + Int64($0) * 10 })
            let partition = TopicPartition(topic: "seek", partition: 0)
            let consumer = topics.makeConsumer(ConsumerConfig(autoOffsetReset: .earliest))
            try consumer.assign([partition])
            try consumer.seek(partition, to: 7)
            #expect(try consumer.poll().map(\.offset) == [7, 8, 9])
            try consumer.seekToBeginning()
            #expect(try consumer.poll(maxRecords: 1).map(\.offset) == [0])
            try consumer.seek(toTimestamp: 1_045)
            #expect(try consumer.poll(maxRecords: 1).map(\.offset) == [5])
            try consumer.seek(toTimestamp: 9_999)
            #expect(try consumer.poll().isEmpty)
            try consumer.seekToEnd()
            #expect(try consumer.position(partition) == 10)
            // Past the end: reset by auto.offset.reset at the next poll.
            try consumer.seek(partition, to: 500)
            #expect(try consumer.poll().map(\.offset).first == 0)
            let notMine = #expect(throws: TopicsError.self) { try consumer.seek(TopicPartition(topic: "seek", partition: 1), to: 0) }
            #expect(notMine?.code == .notAssigned)
        }
    }

    @Test func autoOffsetResetDecidesWhereANewGroupStarts() throws {
        try withTopics { topics, _ in
            try topics.create("reset", partitions: 1)
            try Self.produce(topics, "reset", count: 5)
            let earliest = topics.makeConsumer(ConsumerConfig(groupID: "e", autoOffsetReset: .earliest))
            try earliest.subscribe(["reset"])
            #expect(try earliest.poll().count == 5)
            let latest = topics.makeConsumer(ConsumerConfig(groupID: "l", autoOffsetReset: .latest))
            try latest.subscribe(["reset"])
            #expect(try latest.poll().isEmpty)
            try Self.produce(topics, "reset", count: 1, from: 5)
            #expect(try latest.poll().map(\.offset) == [5])
            let none = topics.makeConsumer(ConsumerConfig(groupID: "n", autoOffsetReset: .none))
            try none.subscribe(["reset"])
            #expect((#expect(throws: TopicsError.self) { try none.poll() })?.code == .noOffset)
        }
    }

    @Test func committedOffsetsSurviveARestartAndNothingBeforeThemIsRedelivered() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var config = ConsumerConfig(groupID: "billing", autoOffsetReset: .earliest)
        config.enableAutoCommit = false
        do {
            let topics = try Topics.open(directory: directory.path)
            try topics.create("invoices", partitions: 2)
            for partition in Int32(0)..<2 { try Self.produce(topics, "invoices", count: 10, partition: partition) }
            let consumer = topics.makeConsumer(config)
            try consumer.subscribe(["invoices"])
            #expect(try consumer.poll(maxRecords: 6).count == 6)
            try consumer.commitSync()
            let committed = try consumer.committed(TopicPartition(topic: "invoices", partition: 0))
            #expect(committed?.offset == 6)
            _ = try consumer.poll(maxRecords: 3)   // read but not committed: will be redelivered
            try consumer.close()
            try topics.close()
        }
        let topics = try Topics.open(directory: directory.path)
        defer { try? topics.close() }
        let committed = topics.committedOffsets(group: "billing")
        let consumer = topics.makeConsumer(config)
        try consumer.subscribe(["invoices"])
        var again: [ConsumerRecord] = []
        while case let next = try consumer.poll(), !next.isEmpty { again += next }
        for record in again {
            #expect(record.offset >= committed[record.topicPartition]?.offset ?? 0)
        }
        #expect(again.count == 20 - committed.values.reduce(0) { $0 + Int($1.offset) })
    }

    @Test func autoCommitCommitsWhatEarlierPollsReturned() throws {
        try withTopics { topics, _ in
            try topics.create("auto", partitions: 1)
            try Self.produce(topics, "auto", count: 10)
            var config = ConsumerConfig(groupID: "g", autoOffsetReset: .earliest)
            config.autoCommitIntervalMs = 30
            let consumer = topics.makeConsumer(config)
            try consumer.subscribe(["auto"])
            let partition = TopicPartition(topic: "auto", partition: 0)
            #expect(try consumer.poll(maxRecords: 4).count == 4)
            #expect(try consumer.committed(partition) == nil)
            Thread.sleep(forTimeInterval: 0.05)
            _ = try consumer.poll(maxRecords: 1)
            #expect(try consumer.committed(partition)?.offset == 4)
            try consumer.close()
            #expect(topics.committedOffsets(group: "g")[partition]?.offset == 5)
        }
    }

    @Test func commitsNeedAGroup() throws {
        try withTopics { topics, _ in
            try topics.create("t", partitions: 1)
            let consumer = topics.makeConsumer()
            try consumer.assign([TopicPartition(topic: "t", partition: 0)])
            #expect((#expect(throws: TopicsError.self) { try consumer.commitSync() })?.code == .noGroup)
            #expect((#expect(throws: TopicsError.self) { try consumer.subscribe(["t"]) })?.code == .noGroup)
            #expect((#expect(throws: TopicsError.self) { try consumer.assign([TopicPartition(topic: "t", partition: 1)]) })?.code == .partitionOutOfRange)
            #expect((#expect(throws: TopicsError.self) { try consumer.assign([TopicPartition(topic: "u", partition: 0)]) })?.code == .unknownTopic)
        }
    }

    @Test func iterationWaitsForNewRecordsWithoutBusyPolling() async throws {
        let metrics = TestMetrics()
        try await withTopicsAsync(options: TopicsOptions(metricsFactory: metrics)) { topics, _ in
            try topics.create("live", partitions: 1)
            let consumer = topics.makeConsumer(ConsumerConfig(autoOffsetReset: .earliest))
            try consumer.assign([TopicPartition(topic: "live", partition: 0)])
            let reader = Task {
                var seen: [String] = []
                for try await record in consumer {
                    seen.append(record.valueString ?? "")
                    if seen.count == 3 { break }
                }
                return seen
            }
            try await Task.sleep(for: .milliseconds(300))
            // Idle for 300 ms: a busy loop would have fetched thousands of times.
            let idleFetches = metrics.timers(label: "strata_fetch_duration").reduce(0) { $0 + $1.values.count }
            #expect(idleFetches <= 3)
            let producer = topics.makeProducer(ProducerConfig(acks: .leader))
            for value in ["a", "b", "c"] {
                try await producer.send(ProducerRecord(topic: "live", key: nil, value: value))
            }
            #expect(try await reader.value == ["a", "b", "c"])
        }
    }

    @Test func closingEndsAWaitingIteration() async throws {
        try await withTopicsAsync { topics, _ in
            try topics.create("quiet", partitions: 1)
            let consumer = topics.makeConsumer()
            try consumer.assign([TopicPartition(topic: "quiet", partition: 0)])
            let reader = Task {
                var count = 0
                for try await _ in consumer { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            try consumer.close()
            #expect(try await reader.value == 0)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func metricsCountRecordsBytesLatencyAndLag() throws {
        let metrics = TestMetrics()
        try withTopics(options: TopicsOptions(metricsFactory: metrics)) { topics, _ in
            try topics.create("measured", partitions: 1)
            try Self.produce(topics, "measured", count: 10)
            let consumer = topics.makeConsumer(ConsumerConfig(groupID: "m", autoOffsetReset: .earliest))
            try consumer.subscribe(["measured"])
            #expect(try consumer.poll(maxRecords: 4).count == 4)
            #expect(metrics.counterTotal(label: "strata_produced_records_total") == 10)
            #expect(metrics.counterTotal(label: "strata_produced_bytes_total") > 10 * 61)
            #expect(metrics.counterTotal(label: "strata_consumed_records_total") == 4)
            #expect(metrics.counterTotal(label: "strata_consumed_bytes_total") == 4 * 4)
            // The rest of the fetch, taken whole, counts its bytes too.
            #expect(try consumer.poll().count == 6)
            #expect(metrics.counterTotal(label: "strata_consumed_records_total") == 10)
            #expect(metrics.counterTotal(label: "strata_consumed_bytes_total") == 10 * 4)
            #expect(try metrics.expectTimer("strata_append_duration", [("topic", "measured")]).values.count == 10)
            let lag = try metrics.expectGauge("strata_consumer_lag", [("topic", "measured"), ("partition", "0"), ("group", "m")])
            #expect(lag.lastValue == 0)   // the whole log was fetched into the consumer
        }
    }
}
