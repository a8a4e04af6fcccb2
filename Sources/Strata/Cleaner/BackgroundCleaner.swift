import Dispatch
import Logging
import NIOConcurrencyHelpers

/// How a ``LogManager`` cleans its compacted partitions in the background.
public struct BackgroundCleaningOptions: Sendable {
    /// The cleaner's memory, rate and overrides (its ``CleanerOptions/throttle`` limits the
    /// background I/O, Kafka's `log.cleaner.io.max.bytes.per.second`).
    public var cleaner = CleanerOptions()
    /// How long to sleep when no partition needs cleaning (`log.cleaner.backoff.ms`, 15 s).
    public var backoffMs: Int64 = 15_000

    /// Kafka's defaults, with no throttle.
    public init() {}
}

/// One cleaner task for a data directory (Kafka's `CleanerThread`): it cleans the filthiest
/// eligible compacted partition, then the next, and sleeps `backoffMs` when none is eligible;
/// ``stop()`` interrupts it at the next segment and waits for it to finish.
final class BackgroundCleaner: @unchecked Sendable {
    /// Signalled to wake the sleeping task when it must stop.
    private let wake = DispatchSemaphore(value: 0)
    /// Left when the task has finished.
    private let running = DispatchGroup()
    private let stopFlag = NIOLockedValueBox(false)
    private let options: BackgroundCleaningOptions
    private let partitions: @Sendable () -> [PartitionLog]
    private let logger: Logger
    private let queue = DispatchQueue(label: "strata.cleaner")

    init(options: BackgroundCleaningOptions, logger: Logger, partitions: @escaping @Sendable () -> [PartitionLog]) {
        var options = options
        let flag = stopFlag
        let outer = options.cleaner.isCancelled
        options.cleaner.isCancelled = { flag.withLockedValue { $0 } || outer() }
        self.options = options
        self.logger = logger
        self.partitions = partitions
    }

    func start() {
        running.enter()
        queue.async {
            self.loop()
            self.running.leave()
        }
    }

    private func loop() {
        while !stopFlag.withLockedValue({ $0 }) {
            var cleaned = false
            do {
                cleaned = try cleanFilthiest() != nil
            } catch is CleanerCancelled {
                break
            } catch {
                logger.warning("background cleaning failed: \(error)")
            }
            if cleaned { continue }
            if wake.wait(timeout: .now() + .milliseconds(Int(clamping: options.backoffMs))) == .success { break }
        }
    }

    /// Cleans the compacted partition with the highest dirty ratio among those eligible (spec
    /// 6.1); nil when none is.
    func cleanFilthiest() throws -> CleaningResult? {
        var best: (log: PartitionLog, ratio: Double)? = nil
        for log in partitions() where log.config.cleanupPolicy.contains(.compact) && !log.isReadOnly {
            let checkpoint = CleanerCheckpoint(logDirectory: parentDirectory(of: log.directory), fileSystem: log.fileSystem)
            let assessment = try LogCleaner.assess(log, checkpoint: checkpoint.offsets()[log.topicPartition], options: options.cleaner)
            guard assessment.isEligible(minCleanableRatio: log.config.minCleanableDirtyRatio) else { continue }
            if best == nil || assessment.dirtyRatio > best!.ratio { best = (log, assessment.dirtyRatio) }
        }
        guard let best else { return nil }
        return try LogCleaner.clean(best.log, options: options.cleaner)
    }

    /// Asks the task to stop and waits until it has.
    func stop() {
        stopFlag.withLockedValue { $0 = true }
        wake.signal()
        running.wait()
    }
}

extension LogManager {
    /// Starts cleaning this directory's compacted partitions in the background (off until
    /// called; Kafka's `log.cleaner.enable`). ``close()`` stops it first.
    ///
    /// - Precondition: not read-only; at most one cleaner per manager (a second call does nothing).
    public func startBackgroundCleaning(_ options: BackgroundCleaningOptions = BackgroundCleaningOptions()) {
        guard !isReadOnly else { return }
        let cleaner = BackgroundCleaner(options: options, logger: self.options.logger) { [weak self] in
            guard let self else { return [] }
            return self.state.withLock { Array(self.partitions.values) }
        }
        let started = state.withLock { () -> Bool in
            guard backgroundCleaner == nil else { return false }
            backgroundCleaner = cleaner
            return true
        }
        if started { cleaner.start() }
    }

    /// Stops background cleaning, waiting for a cleaning in progress to stop at its next
    /// segment (its unfinished output is discarded).
    public func stopBackgroundCleaning() {
        let cleaner = state.withLock { () -> BackgroundCleaner? in
            defer { backgroundCleaner = nil }
            return backgroundCleaner
        }
        cleaner?.stop()
    }
}
