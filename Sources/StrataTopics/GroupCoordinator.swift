import NIOConcurrencyHelpers
import Strata

/// The consumer groups of one data directory, inside one process: membership, the target
/// assignment of each generation, and which member holds each partition now.
///
/// A rebalance (a member joins or leaves, a subscribed topic grows or goes) computes a new
/// target assignment at once and wakes every member. A member then gives up the partitions
/// it no longer targets (committing their positions first, when it auto-commits) and takes
/// the targeted partitions no one else holds. A partition therefore never has two holders,
/// and its new holder starts from the offset the old one committed as it let go.
final class GroupCoordinator: Sendable {
    private struct Group {
        var members: [String: Member] = [:]
        var generation = 0
        var target: [String: Set<TopicPartition>] = [:]
        var holders: [TopicPartition: String] = [:]
    }

    struct Member {
        var topics: Set<String>
        var strategy: AssignmentStrategy
        /// `session.timeout.ms`: a member not heard from for this long is removed.
        var sessionTimeoutMs: Int64
        /// When the member last asked for its assignment (ms).
        var lastSeen: Int64
    }

    private let groups = NIOLockedValueBox([String: Group]())
    private let nextMember = NIOLockedValueBox(0)
    private let notifier: AppendNotifier
    private let partitionCounts: NIOLockedValueBox<[String: Int]> = NIOLockedValueBox([:])

    init(notifier: AppendNotifier) {
        self.notifier = notifier
    }

    /// A new member id, sorting in join order.
    func newMemberID() -> String {
        let number = nextMember.withLockedValue { next -> Int in
            next += 1
            return next
        }
        let digits = String(number)
        return "member-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// Adds or updates a member's subscription and rebalances.
    func join(group: String, member: String, topics: Set<String>, strategy: AssignmentStrategy, sessionTimeoutMs: Int64,
              now: Int64, partitionCounts counts: [String: Int]) {
        partitionCounts.withLockedValue { $0 = counts }
        groups.withLockedValue { groups in
            groups[group, default: Group()].members[member] = Member(topics: topics, strategy: strategy, sessionTimeoutMs: sessionTimeoutMs, lastSeen: now)
            rebalance(&groups[group]!)
        }
        notifier.signal(topic: nil)
    }

    /// Removes a member (its partitions are free at once) and rebalances.
    func leave(group: String, member: String) {
        groups.withLockedValue { groups in
            guard groups[group] != nil else { return }
            groups[group]!.members[member] = nil
            groups[group]!.holders = groups[group]!.holders.filter { $0.value != member }
            rebalance(&groups[group]!)
        }
        notifier.signal(topic: nil)
    }

    /// Topics were created, grown or deleted: every group is rebalanced.
    func topicsChanged(partitionCounts counts: [String: Int]) {
        partitionCounts.withLockedValue { $0 = counts }
        groups.withLockedValue { groups in
            for name in groups.keys { rebalance(&groups[name]!) }
        }
        notifier.signal(topic: nil)
    }

    /// The group's generation (grows with each rebalance).
    func generation(group: String) -> Int { groups.withLockedValue { $0[group]?.generation ?? 0 } }

    /// The member's target partitions in the current generation; `isMember` is false when the
    /// member was removed for silence (it must join again). Asking counts as a heartbeat, and
    /// removes the members silent for longer than their session timeout.
    func target(group: String, member: String, now: Int64) -> (generation: Int, partitions: Set<TopicPartition>, isMember: Bool) {
        let (answer, evicted) = groups.withLockedValue { groups -> ((Int, Set<TopicPartition>, Bool), Bool) in
            guard var state = groups[group] else { return ((0, [], false), false) }
            state.members[member]?.lastSeen = now
            let silent = state.members.filter { now - $0.value.lastSeen > $0.value.sessionTimeoutMs }.map(\.key)
            for gone in silent {
                state.members[gone] = nil
                state.holders = state.holders.filter { $0.value != gone }
            }
            if !silent.isEmpty { rebalance(&state) }
            groups[group] = state
            return ((state.generation, state.target[member] ?? [], state.members[member] != nil), !silent.isEmpty)
        }
        if evicted { notifier.signal(topic: nil) }
        return answer
    }

    /// Gives up `released` and takes whichever target partitions are free; returns what the
    /// member holds afterwards.
    func exchange(group: String, member: String, releasing released: Set<TopicPartition>) -> Set<TopicPartition> {
        let (held, freed) = groups.withLockedValue { groups -> (Set<TopicPartition>, Bool) in
            guard var state = groups[group], state.members[member] != nil else { return ([], false) }
            for partition in released where state.holders[partition] == member { state.holders[partition] = nil }
            for partition in state.target[member] ?? [] where state.holders[partition] == nil { state.holders[partition] = member }
            groups[group] = state
            return (Set(state.holders.filter { $0.value == member }.keys), !released.isEmpty)
        }
        // Partitions let go may be what another member waits for.
        if freed { notifier.signal(topic: nil) }
        return held
    }

    /// The members of a group and what each holds (for tools and tests).
    func members(group: String) -> [String: Set<TopicPartition>] {
        groups.withLockedValue { groups in
            guard let state = groups[group] else { return [:] }
            var result = Dictionary(uniqueKeysWithValues: state.members.keys.map { ($0, Set<TopicPartition>()) })
            for (partition, member) in state.holders { result[member]?.insert(partition) }
            return result
        }
    }

    private func rebalance(_ group: inout Group) {
        group.generation += 1
        let counts = partitionCounts.withLockedValue { $0 }
        let strategy = group.members.values.first?.strategy ?? .range
        let assignment = PartitionAssignor.assign(strategy, members: group.members.mapValues(\.topics), partitionCounts: counts)
        group.target = assignment.mapValues { Set($0) }
        // Holders of partitions that no longer exist let go of them at once.
        group.holders = group.holders.filter { partition, _ in (counts[partition.topic] ?? 0) > Int(partition.partition) }
    }
}
