import Dispatch
import NIOConcurrencyHelpers

/// The background tasks of a running data directory: one thread that sleeps until the next
/// task is due or it is stopped.
final class MaintenanceTask: Sendable {
    private let stopped = ConditionLock(value: false)
    private let finished = DispatchGroup()

    init(manager: LogManager, schedule: MaintenanceSchedule) {
        finished.enter()
        DispatchQueue(label: "strata.maintenance").async { [stopped, finished] in
            defer { finished.leave() }
            var next = Due(schedule: schedule, now: monotonicMilliseconds())
            while true {
                let wait = max(0, next.earliest - monotonicMilliseconds())
                if stopped.lock(whenValue: true, timeoutSeconds: Double(wait) / 1000) {
                    stopped.unlock()
                    return
                }
                let now = monotonicMilliseconds()
                manager.runDueTasks(&next, schedule: schedule, now: now)
            }
        }
    }

    /// Stops the thread and waits until a task that is running has finished.
    func stop() {
        stopped.lock()
        stopped.unlock(withValue: true)
        finished.wait()
    }

    /// When each task runs next (monotonic milliseconds).
    struct Due {
        var retention: Int64
        var flush: Int64
        var checkpoint: Int64
        var deletion: Int64

        init(schedule: MaintenanceSchedule, now: Int64) {
            retention = now + schedule.retentionCheckIntervalMs
            flush = now + schedule.flushCheckIntervalMs
            checkpoint = now + schedule.checkpointIntervalMs
            deletion = now + schedule.deletionCheckIntervalMs
        }

        var earliest: Int64 { min(retention, flush, checkpoint, deletion) }
    }
}

extension LogManager {
    /// Starts the background tasks Kafka's log manager schedules: retention checks, flushes on
    /// `flush.ms`, removal of `.deleted` files after `file.delete.delay.ms`, and checkpoint
    /// writes. They stop when the manager closes (or on ``stopMaintenance()``). A task that
    /// fails for one partition is logged and tried again at its next turn; it does not stop
    /// the others. Starting again replaces the schedule.
    public func startMaintenance(_ schedule: MaintenanceSchedule = MaintenanceSchedule()) {
        guard !isReadOnly else { return }
        stopMaintenance()
        let task = MaintenanceTask(manager: self, schedule: schedule)
        maintenance.withLockedValue { $0 = task }
    }

    /// Stops the background tasks, waiting for one that is running.
    public func stopMaintenance() {
        let task = maintenance.withLockedValue { task in
            defer { task = nil }
            return task
        }
        task?.stop()
    }

    func runDueTasks(_ due: inout MaintenanceTask.Due, schedule: MaintenanceSchedule, now: Int64) {
        let logs = state.withLock { partitions }
        func each(_ name: String, _ body: (PartitionLog) throws -> Void) {
            for (topicPartition, log) in logs.sorted(by: { $0.key < $1.key }) {
                do { try body(log) } catch {
                    options.logger.warning("background \(name) failed", metadata: ["partition": "\(topicPartition)", "error": "\(error)"])
                }
            }
        }
        if now >= due.retention {
            each("retention") { log in
                let result = try log.applyRetention()
                if !result.deletedSegments.isEmpty {
                    options.logger.info("retention deleted segments \(result.deletedSegments)", metadata: ["partition": "\(log.topicPartition)", "reasons": "\(result.reasons)"])
                }
            }
            due.retention = now + schedule.retentionCheckIntervalMs
        }
        if now >= due.flush {
            each("flush") { try $0.flushIfDue() }
            due.flush = now + schedule.flushCheckIntervalMs
        }
        if now >= due.deletion {
            each("file deletion") { try $0.removeDueFiles() }
            due.deletion = now + schedule.deletionCheckIntervalMs
        }
        if now >= due.checkpoint {
            do { try writeCheckpoints() } catch {
                options.logger.warning("background checkpoint write failed", metadata: ["error": "\(error)"])
            }
            due.checkpoint = now + schedule.checkpointIntervalMs
        }
    }
}

/// Milliseconds of a clock that never goes back (for intervals, not timestamps).
func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

#if canImport(Glibc)
import Glibc
#endif
