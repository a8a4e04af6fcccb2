// strata-soak: producers, a consumer group, retention and compaction running together in a
// child process that is killed with SIGKILL at random moments and started again, for a set
// time; after each kill the data directory is opened and checked against everything the child
// had acknowledged. `make soak` runs it (SOAK_SECONDS, default 300); it is not part of CI.
//
//   strata-soak [--seconds N] [--dir DIR] [--seed S]   the supervisor
//   strata-soak worker DIR FIRST-ID SEED               one child (started by the supervisor)
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "worker" {
    guard arguments.count == 4, let firstID = Int(arguments[2]), let seed = UInt64(arguments[3]) else {
        FileHandle.standardError.write(Data("usage: strata-soak worker DIR FIRST-ID SEED\n".utf8))
        exit(64)
    }
    do {
        try SoakWorker(directory: arguments[1], firstID: firstID, seed: seed).run()
    } catch {
        FileHandle.standardError.write(Data("strata-soak worker: \(error)\n".utf8))
        exit(2)
    }
} else {
    guard let settings = SoakSettings(arguments) else {
        FileHandle.standardError.write(Data("usage: strata-soak [--seconds N] [--dir DIR] [--seed S]\n".utf8))
        exit(64)
    }
    do {
        exit(try SoakSupervisor(settings).run() ? 0 : 1)
    } catch {
        FileHandle.standardError.write(Data("strata-soak: \(error)\n".utf8))
        exit(2)
    }
}
