import Dispatch
import NIOConcurrencyHelpers

/// Wakes consumers waiting for new data: producers signal a topic after each append, and a
/// group rebalance signals its members; waiters sleep on a continuation (no polling loop).
///
/// A waiter passes the ``version`` it saw before it found nothing to read; if anything was
/// signalled since, the wait returns at once, so no signal between the read and the wait is
/// lost.
final class AppendNotifier: Sendable {
    private struct Waiter {
        var topics: Set<String>
        var continuation: CheckedContinuation<Void, Never>
        /// The timeout, cancelled when the waiter is woken first (so no timer outlives its wait).
        var timer: Timeout
    }

    /// A scheduled timeout; `DispatchWorkItem.cancel()` is thread-safe, though the type is not
    /// marked `Sendable` on Linux.
    private final class Timeout: @unchecked Sendable {
        let item: DispatchWorkItem
        init(_ body: @escaping @Sendable () -> Void) { item = DispatchWorkItem(block: body) }
        func cancel() { item.cancel() }
    }

    private struct State {
        var version: UInt64 = 0
        var versionByTopic: [String: UInt64] = [:]
        var globalVersion: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    private let timerQueue = DispatchQueue(label: "strata.topics.notifier")

    /// A number that grows with every signal.
    var version: UInt64 { state.withLockedValue { $0.version } }

    /// Wakes every waiter interested in `topic` (nil: every waiter).
    func signal(topic: String?) {
        let woken: [Waiter] = state.withLockedValue { state in
            state.version &+= 1
            if let topic { state.versionByTopic[topic] = state.version } else { state.globalVersion = state.version }
            var woken: [Waiter] = []
            for (id, waiter) in state.waiters where topic == nil || waiter.topics.contains(topic!) {
                woken.append(waiter)
                state.waiters[id] = nil
            }
            return woken
        }
        for waiter in woken {
            waiter.timer.cancel()
            waiter.continuation.resume()
        }
    }

    /// Waits until one of `topics` is signalled after `version`, a global signal arrives, the
    /// timeout passes, or the task is cancelled.
    func wait(forTopics topics: Set<String>, after version: UInt64, timeout: Duration) async {
        let id = state.withLockedValue { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let timer = Timeout { [self] in wake(id) }
                let registered = state.withLockedValue { state -> Bool in
                    let changed = state.globalVersion > version || topics.contains { state.versionByTopic[$0, default: 0] > version }
                    if changed || Task.isCancelled { return false }
                    state.waiters[id] = Waiter(topics: topics, continuation: continuation, timer: timer)
                    return true
                }
                guard registered else { continuation.resume(); return }
                let nanoseconds = timeout.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
                let total = nanoseconds.overflow ? Int.max : Int(nanoseconds.partialValue) + Int(timeout.components.attoseconds / 1_000_000_000)
                timerQueue.asyncAfter(deadline: .now() + .nanoseconds(max(0, total)), execute: timer.item)
            }
        } onCancel: {
            wake(id)
        }
    }

    private func wake(_ id: UInt64) {
        guard let waiter = state.withLockedValue({ $0.waiters.removeValue(forKey: id) }) else { return }
        waiter.timer.cancel()
        waiter.continuation.resume()
    }
}
