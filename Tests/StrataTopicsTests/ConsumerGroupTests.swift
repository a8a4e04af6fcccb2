import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Strata
import StrataTopics
import Testing

/// Consumer groups in one process: sharing partitions, rebalancing on join and leave, and
/// concurrent producers and consumers.
@Suite struct ConsumerGroupTests {
    @Test func rangeAssignmentSharesPartitionsAndRebalancesOnJoinAndLeave() throws {
        try withTopics { topics, _ in
            try topics.create("shared", partitions: 5)
            let first = topics.makeConsumer(ConsumerConfig(groupID: "g", autoOffsetReset: .earliest))
            try first.subscribe(["shared"])
            #expect(first.assignment.map(\.partition) == [0, 1, 2, 3, 4])
            let second = topics.makeConsumer(ConsumerConfig(groupID: "g", autoOffsetReset: .earliest))
            try second.subscribe(["shared"])
            // The first gives up 3 and 4 on its next call; only then may the second take them.
            #expect(first.assignment.map(\.partition) == [0, 1, 2])
            #expect(second.assignment.map(\.partition) == [3, 4])
            try first.close()
            #expect(second.assignment.map(\.partition) == [0, 1, 2, 3, 4])
        }
    }

    @Test func aPartitionIsNeverHeldByTwoMembers() throws {
        try withTopics { topics, _ in
            try topics.create("exclusive", partitions: 2)
            let first = topics.makeConsumer(ConsumerConfig(groupID: "g"))
            try first.subscribe(["exclusive"])
            _ = first.assignment
            let second = topics.makeConsumer(ConsumerConfig(groupID: "g"))
            try second.subscribe(["exclusive"])
            // The first has not yet seen the rebalance: it still holds both, so the second waits.
            #expect(second.assignment.isEmpty)
            #expect(first.assignment.count == 1)
            #expect(second.assignment.count == 1)
            #expect(Set(first.assignment).isDisjoint(with: second.assignment))
        }
    }

    @Test func roundRobinDealsPartitionsAcrossTopics() throws {
        try withTopics { topics, _ in
            try topics.create("a", partitions: 3)
            try topics.create("b", partitions: 3)
            var config = ConsumerConfig(groupID: "rr")
            config.assignmentStrategy = .roundRobin
            let members = (0..<2).map { _ in topics.makeConsumer(config) }
            for member in members { try member.subscribe(["a", "b"]) }
            _ = members.map(\.assignment)
            let firstHolds = members[0].assignment.map(\.description)
            let secondHolds = members[1].assignment.map(\.description)
            // Kafka's RoundRobinAssignor over a-0 a-1 a-2 b-0 b-1 b-2.
            #expect(firstHolds == ["a-0", "a-2", "b-1"])
            #expect(secondHolds == ["a-1", "b-0", "b-2"])
        }
    }

    @Test func addedPartitionsAreAssignedAndDeletedTopicsDropped() throws {
        try withTopics { topics, _ in
            try topics.create("growing", partitions: 1)
            try topics.create("doomed", partitions: 1)
            try topics.makeProducer().sendSync(ProducerRecord(topic: "doomed", key: "k", value: "v"))
            let member = topics.makeConsumer(ConsumerConfig(groupID: "g", autoOffsetReset: .earliest))
            try member.subscribe(["growing", "doomed"])
            #expect(member.assignment.map(\.description) == ["doomed-0", "growing-0"])
            #expect(try member.poll().count == 1)
            try topics.addPartitions("growing", totalCount: 3)
            #expect(member.assignment.map(\.description) == ["doomed-0", "growing-0", "growing-1", "growing-2"])
            try topics.delete("doomed")
            #expect(member.assignment.map(\.description) == ["growing-0", "growing-1", "growing-2"])
            #expect(try member.poll().isEmpty)
            // The deleted topic's position was not committed again after its commits were removed.
            #expect(topics.committedOffsets(group: "g").keys.allSatisfy { $0.topic == "growing" })
        }
    }

    @Test func aSilentMemberIsRemovedAfterItsSessionTimeoutAndJoinsAgain() throws {
        try withTopics { topics, _ in
            try topics.create("watched", partitions: 2)
            let producer = topics.makeProducer()
            for index in 0..<4 { try producer.sendSync(ProducerRecord(topic: "watched", partition: Int32(index % 2), key: "k", value: "v\(index)")) }
            var config = ConsumerConfig(groupID: "s", autoOffsetReset: .earliest)
            config.sessionTimeoutMs = 1_000
            config.enableAutoCommit = false
            let silent = topics.makeConsumer(config)
            try silent.subscribe(["watched"])
            #expect(try silent.poll().count == 4)       // read, never committed
            let active = topics.makeConsumer(config)
            try active.subscribe(["watched"])
            #expect(active.assignment.isEmpty)           // the silent one still holds both
            Thread.sleep(forTimeInterval: 1.3)
            #expect(active.assignment.count == 2)        // removed for silence: all to the active one
            #expect(try active.poll().count == 4)        // nothing was committed: everything again
            try active.commitSync()
            // The silent one comes back: it joins again, drops its uncommitted positions, and
            // shares the partitions once the active one lets go.
            #expect(try silent.poll().isEmpty)
            _ = active.assignment
            #expect(silent.assignment.count == 1 && active.assignment.count == 1)
            #expect(try silent.poll().isEmpty)           // resumes at the active one's commits
            #expect(Set(topics.committedOffsets(group: "s").values.map(\.offset)) == [2])
        }
    }

    @Test func aMemberThatLeavesHandsOverAtItsCommittedOffset() throws {
        try withTopics { topics, _ in
            try topics.create("handover", partitions: 1)
            let producer = topics.makeProducer(ProducerConfig(acks: .leader))
            for index in 0..<10 { try producer.sendSync(ProducerRecord(topic: "handover", key: "k\(index)", value: "v")) }
            let first = topics.makeConsumer(ConsumerConfig(groupID: "h", autoOffsetReset: .earliest))
            try first.subscribe(["handover"])
            #expect(try first.poll(maxRecords: 6).map(\.offset) == Array(0..<6))
            let second = topics.makeConsumer(ConsumerConfig(groupID: "h", autoOffsetReset: .earliest))
            try second.subscribe(["handover"])
            try first.close()   // auto-commits 6, then leaves
            #expect(try second.poll().map(\.offset) == Array(6..<10))
        }
    }

    @Test func concurrentProducersAndGroupConsumersLoseNothing() async throws {
        try await withTopicsAsync("concurrent") { topics, _ in
            try topics.create("busy", partitions: 3)
            let producers = 4, perProducer = 300
            let total = producers * perProducer
            let seen = NIOLockedValueBox([String: Int]())
            var consumerConfig = ConsumerConfig(groupID: "workers", autoOffsetReset: .earliest)
            consumerConfig.autoCommitIntervalMs = 20
            consumerConfig.maxPollRecords = 50
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    let consumer = topics.makeConsumer(consumerConfig)
                    try consumer.subscribe(["busy"])
                    group.addTask {
                        defer { try? consumer.close() }
                        while seen.withLockedValue({ $0.count }) < total {
                            for record in try await consumer.poll(timeout: .milliseconds(50)) {
                                seen.withLockedValue { $0[record.valueString!, default: 0] += 1 }
                            }
                        }
                    }
                }
                for producerIndex in 0..<producers {
                    let producer = topics.makeProducer(ProducerConfig(acks: producerIndex % 2 == 0 ? .leader : .all, lingerMs: producerIndex))
                    group.addTask {
                        // Half the sends awaited one by one, half in flight together (batched).
                        let failures = NIOLockedValueBox(0)
                        for index in 0..<perProducer {
                            let record = ProducerRecord(topic: "busy", key: "p\(producerIndex)-\(index % 7)", value: "p\(producerIndex)-\(index)")
                            if index < perProducer / 2 {
                                try await producer.send(record)
                            } else {
                                producer.send(record) { if case .failure = $0 { failures.withLockedValue { $0 += 1 } } }
                            }
                        }
                        await producer.flush()
                        #expect(failures.withLockedValue { $0 } == 0)
                    }
                }
                try await group.waitForAll()
            }
            let counts = seen.withLockedValue { $0 }
            #expect(counts.count == total)
            // Every key's records are in one partition in send order.
            let stored = try readAll(topics, "busy")
            #expect(stored.count == total)
            var lastIndexByKey: [String: Int] = [:]
            for record in stored {
                let parts = record.valueString!.split(separator: "-")
                let index = Int(parts[1])!
                let key = record.keyString!
                #expect(index > lastIndexByKey[key, default: -1])
                lastIndexByKey[key] = index
            }
        }
    }
}
