import StrataSimulation

extension SeededGenerator {
    /// A value in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// One element of a non-empty array.
    mutating func pick<T>(_ choices: [T]) -> T { choices[int(in: 0...(choices.count - 1))] }
}

/// Makes realistic ~1 KiB JSON order events (the record values of every workload): a fixed
/// key set with varied names, addresses and line items, padded with a free-text note to a
/// length between 1000 and 1048 bytes, so that codecs see text that compresses as real
/// event payloads do.
struct RecordGenerator {
    private var random: SeededGenerator
    private var nextOrderId = 1_000_000

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    /// The next record: its key (the customer id) and its JSON value.
    mutating func next() -> (key: String, value: String) {
        let orderId = nextOrderId
        nextOrderId += random.int(in: 1...7)
        let first = random.pick(Self.firstNames), last = random.pick(Self.lastNames)
        let customerId = "C-\(random.int(in: 10_000...99_999))"
        let (city, postcode) = random.pick(Self.cities)
        var json = "{\"orderId\":\(orderId),\"createdAt\":\"2024-\(twoDigits(random.int(in: 1...12)))-\(twoDigits(random.int(in: 1...28)))T"
        json += "\(twoDigits(random.int(in: 0...23))):\(twoDigits(random.int(in: 0...59))):\(twoDigits(random.int(in: 0...59))).\(random.int(in: 100...999))Z\","
        json += "\"status\":\"\(random.pick(Self.statuses))\",\"customer\":{\"id\":\"\(customerId)\",\"name\":\"\(first) \(last)\","
        json += "\"email\":\"\(first.lowercased()).\(last.lowercased())@example.com\",\"tier\":\"\(random.pick(Self.tiers))\"},"
        json += "\"shipping\":{\"street\":\"\(random.int(in: 1...9999)) \(random.pick(Self.streets))\",\"city\":\"\(city)\","
        json += "\"postcode\":\"\(postcode)\",\"country\":\"US\"},\"items\":["
        var total = 0
        for index in 0..<random.int(in: 1...4) {
            let (sku, name) = random.pick(Self.products)
            let quantity = random.int(in: 1...5), cents = random.int(in: 199...19_999)
            total += quantity * cents
            json += (index == 0 ? "" : ",") + "{\"sku\":\"\(sku)\",\"name\":\"\(name)\",\"qty\":\(quantity),\"price\":\(price(cents))}"
        }
        json += "],\"currency\":\"USD\",\"total\":\(price(total)),\"payment\":\"\(random.pick(Self.payments))\",\"notes\":\""
        let length = random.int(in: 1000...1048)
        var separator = ""
        while json.utf8.count + 2 < length {
            json += separator + random.pick(Self.words)
            separator = " "
        }
        json = String(json.utf8.prefix(length - 2))! + "\"}"
        return (customerId, json)
    }

    private func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private func price(_ cents: Int) -> String {
        let remainder = cents % 100
        return "\(cents / 100).\(remainder < 10 ? "0" : "")\(remainder)"
    }

    private static let firstNames = ["Maria", "James", "Aiko", "Olu", "Priya", "Lukas", "Sofia", "Mateo", "Chen", "Amara", "Noah", "Elena", "Ravi", "Hannah", "Kwame", "Ines"]
    private static let lastNames = ["Lopez", "Smith", "Tanaka", "Adeyemi", "Sharma", "Becker", "Rossi", "Garcia", "Wei", "Okafor", "Miller", "Novak", "Patel", "Schmidt", "Mensah", "Silva"]
    private static let cities = [("Portland", "97205"), ("Austin", "78701"), ("Denver", "80202"), ("Boston", "02108"), ("Seattle", "98101"), ("Chicago", "60601"), ("Atlanta", "30303"), ("Phoenix", "85004")]
    private static let streets = ["Oak Street", "Maple Avenue", "Pine Road", "Cedar Lane", "Elm Boulevard", "Lake Drive", "Hill Court", "Park Way"]
    private static let statuses = ["CREATED", "PAID", "PACKED", "SHIPPED", "DELIVERED", "CANCELLED"]
    private static let tiers = ["bronze", "silver", "gold", "platinum"]
    private static let payments = ["card", "paypal", "bank-transfer", "gift-card", "apple-pay"]
    private static let products = [
        ("SKU-10392", "Wireless Mouse"), ("SKU-20417", "Mechanical Keyboard"), ("SKU-31125", "USB-C Hub"),
        ("SKU-40078", "27in Monitor"), ("SKU-51263", "Laptop Stand"), ("SKU-60911", "Noise Cancelling Headphones"),
        ("SKU-71540", "Webcam 1080p"), ("SKU-82236", "Desk Lamp"), ("SKU-93307", "Ergonomic Chair"), ("SKU-14482", "Cable Organizer"),
    ]
    private static let words = [
        "please", "leave", "the", "parcel", "at", "front", "door", "ring", "bell", "twice", "gift", "wrap", "requested",
        "customer", "called", "about", "delivery", "window", "between", "morning", "and", "afternoon", "fragile", "handle",
        "with", "care", "backorder", "expected", "next", "week", "replacement", "for", "damaged", "item", "invoice", "sent",
        "to", "billing", "address", "loyalty", "points", "applied", "coupon", "SPRING24", "no", "signature", "required",
    ]
}
