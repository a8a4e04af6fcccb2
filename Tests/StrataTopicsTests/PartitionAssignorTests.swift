import Foundation
import Strata
import StrataSimulation
@testable import StrataTopics
import Testing

/// The assignors against Kafka's documented examples and, over random groups, the properties
/// every assignment must have.
@Suite struct PartitionAssignorTests {
    @Test func kafkasRangeExample() {
        // RangeAssignor's javadoc: t0 and t1 with 3 partitions each, members C0 and C1.
        let members = ["C0": Set(["t0", "t1"]), "C1": Set(["t0", "t1"])]
        let assignment = PartitionAssignor.assign(.range, members: members, partitionCounts: ["t0": 3, "t1": 3])
        #expect(assignment["C0"]!.map(\.description) == ["t0-0", "t0-1", "t1-0", "t1-1"])
        #expect(assignment["C1"]!.map(\.description) == ["t0-2", "t1-2"])
    }

    @Test func kafkasRoundRobinExample() {
        // RoundRobinAssignor's javadoc: C0 subscribes t0; C1 t0, t1; C2 t0, t1, t2 (1, 2, 3 partitions).
        let members = ["C0": Set(["t0"]), "C1": Set(["t0", "t1"]), "C2": Set(["t0", "t1", "t2"])]
        let assignment = PartitionAssignor.assign(.roundRobin, members: members, partitionCounts: ["t0": 1, "t1": 2, "t2": 3])
        #expect(assignment["C0"]!.map(\.description) == ["t0-0"])
        #expect(assignment["C1"]!.map(\.description) == ["t1-0"])
        #expect(assignment["C2"]!.map(\.description) == ["t1-1", "t2-0", "t2-1", "t2-2"])
    }

    @Test(arguments: AssignmentStrategy.allCases)
    func everySubscribedPartitionHasExactlyOneSubscribedOwner(strategy: AssignmentStrategy) {
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let topics = (0..<Int(generator.next() % 4 + 1)).map { "t\($0)" }
            let counts = Dictionary(uniqueKeysWithValues: topics.map { ($0, Int(generator.next() % 9 + 1)) })
            var members: [String: Set<String>] = [:]
            for index in 0..<Int(generator.next() % 5 + 1) {
                members["m\(index)"] = Set(topics.filter { _ in generator.next() % 2 == 0 })
            }
            let assignment = PartitionAssignor.assign(strategy, members: members, partitionCounts: counts)
            var owners: [TopicPartition: [String]] = [:]
            for (member, partitions) in assignment {
                for partition in partitions {
                    owners[partition, default: []].append(member)
                    #expect(members[member]!.contains(partition.topic), "seed \(seed): \(member) got \(partition) without subscribing")
                }
            }
            for topic in topics where members.values.contains(where: { $0.contains(topic) }) {
                for partition in 0..<counts[topic]! {
                    #expect(owners[TopicPartition(topic: topic, partition: Int32(partition))]?.count == 1, "seed \(seed)")
                }
            }
            if strategy == .range {
                // Per topic, the subscribers' shares differ by at most one.
                for topic in topics {
                    let shares = members.filter { $0.value.contains(topic) }.keys.map { member in assignment[member]!.filter { $0.topic == topic }.count }
                    if let low = shares.min(), let high = shares.max() { #expect(high - low <= 1, "seed \(seed)") }
                }
            }
        }
    }
}
