// The manifest written for tools/crosscheck (format: tools/README.md), and the random data
// both modes draw from.
import Foundation
import NIOCore
import Strata
import StrataSimulation

// Optionals are written as explicit nulls: the manifest distinguishes null from absent.
struct ManifestHeader: Encodable {
    var key: String
    var value: String?
    enum CodingKeys: String, CodingKey { case key, value }
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(value, forKey: .value)
    }
}
struct ManifestRecord: Encodable {
    var offset: Int64
    var timestamp: Int64?
    var key: String?
    var value: String?
    var headers: [ManifestHeader]
    var controlType: String?
    enum CodingKeys: String, CodingKey { case offset, timestamp, key, value, headers, controlType }
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(offset, forKey: .offset)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(key, forKey: .key)
        try container.encode(value, forKey: .value)
        try container.encode(headers, forKey: .headers)
        try container.encode(controlType, forKey: .controlType)
    }
}
struct ManifestBatch: Encodable {
    var position: Int, size: Int, magic: Int, codec: String, baseOffset: Int64, lastOffset: Int64
    var timestampType: String, maxTimestamp: Int64?, partitionLeaderEpoch: Int32?
    var producerId: Int64?, producerEpoch: Int16?, baseSequence: Int32?
    var isTransactional: Bool, isControl: Bool, crc: UInt32
    var records: [ManifestRecord]
}
struct ManifestFile: Encodable { var file: String; var description: String; var batches: [ManifestBatch] }
struct Manifest: Encodable { var generator = "strata"; var files: [ManifestFile] }


func base64(_ buffer: ByteBuffer?) -> String? {
    buffer.map { Data($0.readableBytesView).base64EncodedString() }
}

let words = ["order", "customer", "amount", "status", "shipped", "pending", "région", "配送", "sku", "warehouse"]

func payload(_ rng: inout SeededGenerator, size: Int) -> ByteBuffer {
    // JSON-like text: compressible, like real event data.
    var text = "{"
    while text.utf8.count < size {
        text += "\"\(words.randomElement(using: &rng)!)\":\(Int.random(in: 0..<100_000, using: &rng)),"
    }
    var buffer = ByteBuffer(string: text)
    buffer.moveWriterIndex(to: min(buffer.writerIndex, size))
    return buffer
}

func randomBytes(_ rng: inout SeededGenerator, count: Int) -> ByteBuffer {
    ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
}
