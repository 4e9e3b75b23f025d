/// Emotiv EPOC consumer reports (PROTOCOL §14.4): 32 bytes at 128 Hz, AES-128-ECB encrypted
/// with a key made from the dongle's serial number. Plaintext byte 0 is a counter (0…127; the
/// battery level when ≥ 128); 14 channels of 14 bits are spread over bits of bytes 1…28 (bit p
/// is bit p mod 8 of byte 1 + p div 8); one sensor's contact quality per report, chosen by the
/// counter; gyro X/Y in bytes 29/30.
public enum Emotiv {
    public static let reportSize = 32
    public static let sampleRate = 128.0
    public static let channelNames = ["F3", "F4", "P7", "FC6", "F7", "F8", "T7", "P8", "FC5", "AF4", "T8", "O2", "O1", "AF3"]

    /// Bit positions of each channel's value, least significant bit first.
    static let bits: [String: [Int]] = [
        "F3": [10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7],
        "FC5": [28, 29, 30, 31, 16, 17, 18, 19, 20, 21, 22, 23, 8, 9],
        "AF3": [46, 47, 32, 33, 34, 35, 36, 37, 38, 39, 24, 25, 26, 27],
        "F7": [48, 49, 50, 51, 52, 53, 54, 55, 40, 41, 42, 43, 44, 45],
        "T7": [66, 67, 68, 69, 70, 71, 56, 57, 58, 59, 60, 61, 62, 63],
        "P7": [84, 85, 86, 87, 72, 73, 74, 75, 76, 77, 78, 79, 64, 65],
        "O1": [102, 103, 88, 89, 90, 91, 92, 93, 94, 95, 80, 81, 82, 83],
        "O2": [140, 141, 142, 143, 128, 129, 130, 131, 132, 133, 134, 135, 120, 121],
        "P8": [158, 159, 144, 145, 146, 147, 148, 149, 150, 151, 136, 137, 138, 139],
        "T8": [160, 161, 162, 163, 164, 165, 166, 167, 152, 153, 154, 155, 156, 157],
        "F8": [178, 179, 180, 181, 182, 183, 168, 169, 170, 171, 172, 173, 174, 175],
        "AF4": [196, 197, 198, 199, 184, 185, 186, 187, 188, 189, 190, 191, 176, 177],
        "FC6": [214, 215, 200, 201, 202, 203, 204, 205, 206, 207, 192, 193, 194, 195],
        "F4": [216, 217, 218, 219, 220, 221, 222, 223, 208, 209, 210, 211, 212, 213],
    ]
    /// In output channel order.
    public static let channelBits: [[Int]] = channelNames.map { bits[$0] ?? [] }
    public static let qualityBits = Array(99...112)

    /// The sensor whose contact quality a report carries, by counter value.
    public static let qualitySensor: [Int: String] = {
        let low = ["F3", "FC5", "AF3", "F7", "T7", "P7", "O1", "O2", "P8", "T8", "F8", "AF4", "FC6", "F4", "F8", "AF4"]
        var map: [Int: String] = [:]
        for (k, name) in low.enumerated() { map[k] = name }
        for (k, name) in (low + ["FC6"]).enumerated() { map[64 + k] = name }
        return map
    }()
    /// Output channel index of the sensor whose quality report `counter` carries.
    public static func qualityChannel(counter: Int) -> Int? {
        qualitySensor[counter].flatMap { channelNames.firstIndex(of: $0) }
    }

    /// The key: serial characters and fixed bytes, one byte per character.
    public static func key(serial: String) -> [UInt8]? {
        let s = Array(serial.utf8)
        guard s.count >= 4 else { return nil }
        let (a, b, c, d) = (s[s.count - 1], s[s.count - 2], s[s.count - 3], s[s.count - 4])
        return [a, 0x00, b, UInt8(ascii: "T"), c, 0x10, d, UInt8(ascii: "B"), a, 0x00, b, UInt8(ascii: "H"), c, 0x00, d, UInt8(ascii: "P")]
    }

    @inline(__always)
    public static func level(_ data: UnsafePointer<UInt8>, _ bits: [Int]) -> Int {
        var value = 0
        for j in stride(from: 13, through: 0, by: -1) {
            let p = bits[j]
            value = value << 1 | Int(data[1 + p >> 3] >> UInt8(p & 7) & 1)
        }
        return value
    }

    /// Writes a 14-bit value into the plaintext (simulator).
    public static func setLevel(_ value: Int, _ bits: [Int], in data: inout [UInt8]) {
        for j in 0..<14 {
            let p = bits[j], byte = 1 + p >> 3, mask = UInt8(1) << UInt8(p & 7)
            if value >> j & 1 == 1 { data[byte] |= mask } else { data[byte] &= ~mask }
        }
    }
}
