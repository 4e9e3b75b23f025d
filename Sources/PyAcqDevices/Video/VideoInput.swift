import CLibAV
import PyAcqCore

/// One FFmpeg video input (camera, file, URL or lavfi graph): demuxes, decodes and converts
/// each frame to packed RGB24 with libswscale, straight into memory the caller provides.
final class VideoInput: @unchecked Sendable {
    let url: String
    let width: Int
    let height: Int
    /// Frames per second as the input declares it (average rate, else the base rate).
    let frameRate: Double
    let codecName: String
    let pixelFormatName: String

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var scaler: OpaquePointer?
    private let packet: UnsafeMutablePointer<AVPacket>
    private let frame: UnsafeMutablePointer<AVFrame>
    private let streamIndex: Int32
    private let timeBase: Double
    private var draining = false

    /// Opens `url` with FFmpeg input format `formatName` (nil: guess) and `options`
    /// (e.g. video_size, framerate); unknown options are an error naming them.
    init(url: String, formatName: String?, options: [(String, String)]) throws(PyAcqError) {
        _ = LibAV.setUp
        self.url = url
        var inputFormat: UnsafePointer<AVInputFormat>?
        if let formatName {
            inputFormat = av_find_input_format(formatName)
            guard inputFormat != nil else {
                throw PyAcqError(.badParams, "FFmpeg has no input format '\(formatName)' (e.g. v4l2, lavfi, or leave it out for files)", exceptionType: "ValueError")
            }
        }
        var dict = LibAV.dictionary(options)
        defer { av_dict_free(&dict) }
        var context: UnsafeMutablePointer<AVFormatContext>?
        let opened = avformat_open_input(&context, url, inputFormat, &dict)
        guard opened >= 0, let context else {
            throw PyAcqError(.io, "cannot open video input '\(url)'\(formatName.map { " (format \($0))" } ?? ""): \(LibAV.errorText(opened))",
                             exceptionType: "OSError")
        }
        format = context
        guard let newPacket = av_packet_alloc(), let newFrame = av_frame_alloc() else {
            avformat_close_input(&format)
            throw PyAcqError(.internalError, "out of memory")
        }
        packet = newPacket
        frame = newFrame
        let unused = LibAV.keys(of: dict)
        guard unused.isEmpty else {
            let error = PyAcqError(.badParams, "video input '\(url)' does not accept the option(s) \(unused.joined(separator: ", "))", exceptionType: "ValueError")
            Self.release(format: &format, decoder: &decoder, packet: packet, frame: frame)
            throw error
        }
        do throws(PyAcqError) {
            try LibAV.check(avformat_find_stream_info(context, nil), "cannot read the stream info of '\(url)'")
            var codec: UnsafePointer<AVCodec>?
            let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
            guard index >= 0, let codec, let stream = context.pointee.streams[Int(index)] else {
                throw PyAcqError(.badParams, "'\(url)' has no video stream FFmpeg can decode", exceptionType: "ValueError")
            }
            streamIndex = index
            guard let decoderContext = avcodec_alloc_context3(codec) else { throw PyAcqError(.internalError, "out of memory") }
            decoder = decoderContext
            try LibAV.check(avcodec_parameters_to_context(decoderContext, stream.pointee.codecpar), "cannot set up the decoder")
            try LibAV.check(avcodec_open2(decoderContext, codec, nil), "cannot open the \(String(cString: codec.pointee.name)) decoder")
            width = Int(decoderContext.pointee.width)
            height = Int(decoderContext.pointee.height)
            guard width > 0, height > 0 else { throw PyAcqError(.io, "'\(url)' reports a \(width)x\(height) picture") }
            let average = LibAV.rate(stream.pointee.avg_frame_rate)
            frameRate = average > 0 ? average : LibAV.rate(stream.pointee.r_frame_rate)
            timeBase = LibAV.rate(stream.pointee.time_base)
            codecName = String(cString: codec.pointee.name)
            pixelFormatName = av_get_pix_fmt_name(decoderContext.pointee.pix_fmt).map { String(cString: $0) } ?? "unknown"
        } catch {
            Self.release(format: &format, decoder: &decoder, packet: packet, frame: frame)
            throw error
        }
    }

    deinit { close() }

    func close() {
        sws_freeContext(scaler)
        scaler = nil
        Self.release(format: &format, decoder: &decoder, packet: nil, frame: nil)
    }

    private static func release(format: inout UnsafeMutablePointer<AVFormatContext>?, decoder: inout UnsafeMutablePointer<AVCodecContext>?,
                                packet: UnsafeMutablePointer<AVPacket>?, frame: UnsafeMutablePointer<AVFrame>?) {
        avcodec_free_context(&decoder)
        avformat_close_input(&format)
        var p = packet, f = frame
        if p != nil { av_packet_free(&p) }
        if f != nil { av_frame_free(&f) }
    }

    var frameBytes: Int { width * height * 3 }

    /// Decodes the next frame (kept until the next call); returns its presentation time in
    /// seconds (nil when unknown), or throws `.closed` at the end of the input.
    func decodeFrame() throws(PyAcqError) -> Double? {
        guard let format, let decoder else { throw PyAcqError(.closed, "video input '\(url)' is closed") }
        av_frame_unref(frame)
        while true {
            let received = avcodec_receive_frame(decoder, frame)
            if received >= 0 {
                let pts = frame.pointee.best_effort_timestamp
                return pts == Int64.min ? nil : Double(pts) * timeBase
            }
            if received == pyacq_averror_eof() { throw PyAcqError(.closed, "end of video input '\(url)'") }
            guard received == pyacq_averror_eagain() else { try LibAV.check(received, "cannot decode '\(url)'"); continue }
            if draining { throw PyAcqError(.closed, "end of video input '\(url)'") }
            let read = av_read_frame(format, packet)
            if read == pyacq_averror_eof() {
                draining = true
                try LibAV.check(avcodec_send_packet(decoder, nil), "cannot flush the decoder of '\(url)'")
                continue
            }
            if read == pyacq_averror_eagain() { continue }
            try LibAV.check(read, "cannot read from '\(url)'")
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            let sent = avcodec_send_packet(decoder, packet)
            if sent < 0 && sent != pyacq_averror_eagain() { try LibAV.check(sent, "cannot decode '\(url)'") }
        }
    }

    /// Checks the decoded frame and readies the converter (call before `convertFrame`).
    func prepareConversion() throws(PyAcqError) {
        let f = frame.pointee
        guard Int(f.width) == width, Int(f.height) == height else {
            throw PyAcqError(.io, "'\(url)' changed its picture size from \(width)x\(height) to \(f.width)x\(f.height) while running")
        }
        // Same flags as the ffmpeg tool, so frames match its own rgb24 output.
        scaler = sws_getCachedContext(scaler, f.width, f.height, AVPixelFormat(rawValue: f.format), f.width, f.height,
                                      AV_PIX_FMT_RGB24, SWS_BICUBIC, nil, nil, nil)
        guard scaler != nil else { throw PyAcqError(.io, "libswscale cannot convert \(pixelFormatName) to rgb24") }
    }

    /// Converts the decoded frame to RGB24 into `destination` (h × w × 3 bytes, rows packed).
    func convertFrame(into destination: UnsafeMutableRawPointer) {
        let f = frame.pointee
        var planes: [UnsafeMutablePointer<UInt8>?] = [destination.assumingMemoryBound(to: UInt8.self), nil, nil, nil]
        var strides: [Int32] = [Int32(width * 3), 0, 0, 0]
        let decoded: [UnsafeMutablePointer<UInt8>?] = [f.data.0, f.data.1, f.data.2, f.data.3]
        let source = decoded.map { plane -> UnsafePointer<UInt8>? in plane.map { UnsafePointer<UInt8>($0) } }
        let lines = [f.linesize.0, f.linesize.1, f.linesize.2, f.linesize.3]
        source.withUnsafeBufferPointer { src in
            lines.withUnsafeBufferPointer { srcStride in
                _ = sws_scale(scaler, src.baseAddress, srcStride.baseAddress, 0, f.height, &planes, &strides)
            }
        }
    }
}
