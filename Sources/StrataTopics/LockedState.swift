#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a mutex whose `lock` spins briefly before it sleeps.
///
/// For state that one thread holds for a few hundred nanoseconds at a time while another
/// takes it now and then (a producer's sends and its writer): a plain mutex puts the second
/// thread to sleep at once, and the unlock that wakes it costs the first a system call, far
/// more than the wait would have lasted.
final class LockedState<State>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let state = UnsafeMutablePointer<State>.allocate(capacity: 1)
    /// Tries before sleeping: a few microseconds at most (computed: a generic class has no
    /// static stored properties).
    private static var spins: Int { 200 }

    init(_ initial: State) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
        state.initialize(to: initial)
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
        pthread_cond_destroy(changed)
        changed.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the state, holding the lock.
    func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        lock()
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state.pointee)
    }

    /// Waits, with the lock released, while `condition` holds and the wall clock is before
    /// `deadline` (seconds since the epoch); true when the condition stopped holding. Each
    /// check holds the lock; ``signalChange()`` wakes the waiters to check again.
    func wait(while condition: (inout State) -> Bool, deadline: Double) -> Bool {
        lock()
        defer { pthread_mutex_unlock(mutex) }
        var until = timespec(tv_sec: Int(deadline), tv_nsec: Int((deadline - deadline.rounded(.down)) * 1e9))
        while condition(&state.pointee) {
            if pthread_cond_timedwait(changed, mutex, &until) == ETIMEDOUT { return !condition(&state.pointee) }
        }
        return true
    }

    /// Wakes every ``wait(while:deadline:)`` to check its condition again.
    func signalChange() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    private func lock() {
        for _ in 0..<Self.spins where pthread_mutex_trylock(mutex) == 0 { return }
        pthread_mutex_lock(mutex)
    }
}
