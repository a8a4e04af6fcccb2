import Dispatch
import NIOCore

/// The next window of a file, read on another thread while the current one is being worked on
/// (``LogFileReader`` with `readAhead`): a tool checksumming a log then overlaps the copy out of
/// the page cache with its own work, on a second core.
///
/// The read starts `overlap` bytes before the end of the current window, so that the unfinished
/// entry there (when it is no longer than `overlap`) is already in the next window.
final class WindowPrefetch: @unchecked Sendable {
    /// The file range read.
    let range: Range<Int>
    private let done = DispatchSemaphore(value: 0)
    // Written once by the reading thread before `done` is signalled, read after waiting on it.
    private var result: Result<ByteBuffer, StrataIOError>?

    init(file: any StorageFile, range: Range<Int>) {
        self.range = range
        DispatchQueue.global().async { [self] in
            result = Result { () throws(StrataIOError) -> ByteBuffer in try file.read(at: range.lowerBound, count: range.count) }
            done.signal()
        }
    }

    /// The bytes from `position` to the end of the range (waiting for the read), or nil when
    /// `position` is outside it.
    func window(from position: Int) throws(StrataIOError) -> ByteBuffer? {
        done.wait()
        done.signal()
        var buffer = try result!.get()
        guard range.contains(position), position - range.lowerBound <= buffer.readableBytes else { return nil }
        buffer.moveReaderIndex(forwardBy: position - range.lowerBound)
        return buffer
    }
}
