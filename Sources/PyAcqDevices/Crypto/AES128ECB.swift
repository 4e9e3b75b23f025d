import COpenSSL
import PyAcqCore

/// AES-128 in ECB mode without padding, through OpenSSL's libcrypto: each 16-byte block is
/// encrypted or decrypted on its own (what the Emotiv EPOC dongle uses).
public final class AES128ECB: @unchecked Sendable {
    private let context: OpaquePointer
    private let encrypting: Bool

    public init(key: [UInt8], encrypt: Bool = false) throws(PyAcqError) {
        guard key.count == 16 else { throw PyAcqError(.badParams, "an AES-128 key has 16 bytes, not \(key.count)", exceptionType: "ValueError") }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw PyAcqError(.internalError, "OpenSSL could not allocate a cipher context") }
        let ok = key.withUnsafeBufferPointer { EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), nil, $0.baseAddress, nil, encrypt ? 1 : 0) }
        guard ok == 1, EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 else {
            EVP_CIPHER_CTX_free(ctx)
            throw PyAcqError(.internalError, "OpenSSL refused the AES-128-ECB key")
        }
        context = ctx
        encrypting = encrypt
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Transforms `count` bytes (a multiple of 16) from `input` into `output`.
    public func apply(_ input: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        guard count % 16 == 0 else { return false }
        var written: Int32 = 0
        return EVP_CipherUpdate(context, output, &written, input, Int32(count)) == 1 && Int(written) == count
    }

    public func apply(_ bytes: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: bytes.count)
        let ok = bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return bytes.isEmpty }
                return apply(s, d, count: bytes.count)
            }
        }
        return ok ? out : nil
    }
}
