import CLibAV
import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

/// Encodes RGB24 frames into a video file with libavcodec/libavformat (an AVI by default).
/// Each encoded packet is written and flushed to the kernel at once, so a killed process
/// leaves a file readable up to the last packet the encoder had produced.
final class VideoFileWriter: @unchecked Sendable {
    let path: String
    let width: Int
    let height: Int
    let codecName: String
    let pixelFormatName: String
    private(set) var framesWritten = 0

    private var container: UnsafeMutablePointer<AVFormatContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private let stream: UnsafeMutablePointer<AVStream>
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?

    /// `codec` is an encoder name (libx264, ffv1, mjpeg…) or a codec name (h264) whose default
    /// encoder is used. The pixel format defaults to yuv420p (pyacq's) for lossy codecs and to
    /// the codec's least lossy format for lossless ones (RGB frames stay exact with ffv1).
    init(path: String, codec codecName: String, width: Int, height: Int, rate: Double,
         pixelFormat: String? = nil, options: [(String, String)] = []) throws(PyAcqError) {
        _ = LibAV.setUp
        self.path = path
        self.width = width
        self.height = height
        guard width > 0, height > 0, width % 2 == 0 || codecName != "h264" else {
            throw PyAcqError(.badParams, "cannot encode \(width)x\(height) frames with \(codecName)", exceptionType: "ValueError")
        }
        guard rate > 0 else { throw PyAcqError(.badParams, "video sample_rate must be > 0, got \(rate)", exceptionType: "ValueError") }
        let codec = try Self.findEncoder(codecName)
        self.codecName = String(cString: codec.pointee.name)
        let format = try Self.choosePixelFormat(codec, requested: pixelFormat)
        pixelFormatName = av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "?"

        var context: UnsafeMutablePointer<AVFormatContext>?
        try LibAV.check(avformat_alloc_output_context2(&context, nil, path.hasSuffix(".avi") ? "avi" : nil, path), "cannot create '\(path)'")
        guard let context, let newStream = avformat_new_stream(context, nil), let enc = avcodec_alloc_context3(codec) else {
            avformat_free_context(context)
            throw PyAcqError(.internalError, "cannot allocate the FFmpeg muxer for '\(path)'")
        }
        container = context
        stream = newStream
        encoder = enc
        do throws(PyAcqError) {
            enc.pointee.width = Int32(width)
            enc.pointee.height = Int32(height)
            enc.pointee.pix_fmt = format
            let frameRate = av_d2q(rate, 1_000_000)
            enc.pointee.framerate = frameRate
            enc.pointee.time_base = AVRational(num: frameRate.den, den: frameRate.num)
            if Int32(context.pointee.oformat.pointee.flags) & AVFMT_GLOBALHEADER != 0 {
                enc.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
            }
            var dict = LibAV.dictionary(options)
            defer { av_dict_free(&dict) }
            try LibAV.check(avcodec_open2(enc, codec, &dict), "cannot open the \(self.codecName) encoder (\(width)x\(height), \(pixelFormatName))")
            let unused = LibAV.keys(of: dict)
            guard unused.isEmpty else {
                throw PyAcqError(.badParams, "the \(self.codecName) encoder does not accept the option(s) \(unused.joined(separator: ", "))", exceptionType: "ValueError")
            }
            try LibAV.check(avcodec_parameters_from_context(newStream.pointee.codecpar, enc), "cannot describe the video stream")
            newStream.pointee.time_base = enc.pointee.time_base
            newStream.pointee.avg_frame_rate = frameRate
            try LibAV.check(avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE), "cannot create '\(path)'")
            try LibAV.check(avformat_write_header(context, nil), "cannot write the header of '\(path)'")
            avio_flush(context.pointee.pb)
            frame = av_frame_alloc()
            packet = av_packet_alloc()
            guard let frame, packet != nil else { throw PyAcqError(.internalError, "out of memory") }
            frame.pointee.format = format.rawValue
            frame.pointee.width = Int32(width)
            frame.pointee.height = Int32(height)
            try LibAV.check(av_frame_get_buffer(frame, 0), "cannot allocate a video frame")
            scaler = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height), format, SWS_BICUBIC, nil, nil, nil)
            guard scaler != nil else { throw PyAcqError(.io, "libswscale cannot convert rgb24 to \(pixelFormatName)") }
        } catch {
            release(deleteFile: true)
            throw error
        }
    }

    deinit { release(deleteFile: false) }

    static func findEncoder(_ name: String) throws(PyAcqError) -> UnsafePointer<AVCodec> {
        if let codec = avcodec_find_encoder_by_name(name), codec.pointee.type == AVMEDIA_TYPE_VIDEO { return codec }
        if let descriptor = avcodec_descriptor_get_by_name(name), let codec = avcodec_find_encoder(descriptor.pointee.id),
           codec.pointee.type == AVMEDIA_TYPE_VIDEO { return codec }
        throw PyAcqError(.badParams, "no video encoder named '\(name)' in this FFmpeg; available: \(videoEncoders().joined(separator: ", "))",
                         exceptionType: "ValueError")
    }

    /// Names of the video encoders FFmpeg was built with.
    static func videoEncoders() -> [String] {
        var names: [String] = []
        var state: UnsafeMutableRawPointer?
        while let codec = av_codec_iterate(&state) {
            if av_codec_is_encoder(codec) != 0 && codec.pointee.type == AVMEDIA_TYPE_VIDEO { names.append(String(cString: codec.pointee.name)) }
        }
        return names.sorted()
    }

    static func choosePixelFormat(_ codec: UnsafePointer<AVCodec>, requested: String?) throws(PyAcqError) -> AVPixelFormat {
        var supported: [AVPixelFormat] = []
        if var p = codec.pointee.pix_fmts {
            while p.pointee != AV_PIX_FMT_NONE { supported.append(p.pointee); p += 1 }
        }
        func name(_ f: AVPixelFormat) -> String { av_get_pix_fmt_name(f).map { String(cString: $0) } ?? "?" }
        if let requested {
            let format = av_get_pix_fmt(requested)
            guard format != AV_PIX_FMT_NONE, supported.isEmpty || supported.contains(format) else {
                throw PyAcqError(.badParams, "pixel format '\(requested)' is not supported by \(String(cString: codec.pointee.name)); supported: "
                                 + supported.map(name).joined(separator: ", "), exceptionType: "ValueError")
            }
            return format
        }
        let props = avcodec_descriptor_get(codec.pointee.id)?.pointee.props ?? 0
        let losslessOnly = props & Int32(AV_CODEC_PROP_LOSSLESS) != 0 && props & Int32(AV_CODEC_PROP_LOSSY) == 0
        if !losslessOnly && (supported.isEmpty || supported.contains(AV_PIX_FMT_YUV420P)) { return AV_PIX_FMT_YUV420P }
        guard !supported.isEmpty else { return AV_PIX_FMT_RGB24 }
        var loss: Int32 = 0
        return supported.withUnsafeBufferPointer { list in
            var terminated = Array(list) + [AV_PIX_FMT_NONE]
            return avcodec_find_best_pix_fmt_of_list(&terminated, AV_PIX_FMT_RGB24, 0, &loss)
        }
    }

    /// Encodes one RGB24 frame (`height` rows of `width × 3` bytes, rows `rowBytes` apart) as
    /// frame number `number` (gaps in the numbers leave gaps in time).
    func write(rgb: UnsafeRawPointer, rowBytes: Int, number: Int) throws(PyAcqError) {
        guard let encoder, let frame else { throw PyAcqError(.closed, "video file '\(path)' is closed") }
        try LibAV.check(av_frame_make_writable(frame), "cannot reuse the video frame")
        var source: [UnsafePointer<UInt8>?] = [rgb.assumingMemoryBound(to: UInt8.self), nil, nil, nil]
        var strides: [Int32] = [Int32(rowBytes), 0, 0, 0]
        var planes = [frame.pointee.data.0, frame.pointee.data.1, frame.pointee.data.2, frame.pointee.data.3]
        var lines = [frame.pointee.linesize.0, frame.pointee.linesize.1, frame.pointee.linesize.2, frame.pointee.linesize.3]
        _ = sws_scale(scaler, &source, &strides, 0, Int32(height), &planes, &lines)
        frame.pointee.pts = Int64(number)
        try LibAV.check(avcodec_send_frame(encoder, frame), "cannot encode a frame into '\(path)'")
        try drain()
        framesWritten += 1
    }

    /// Writes every packet the encoder has ready, flushing each to the kernel.
    private func drain() throws(PyAcqError) {
        guard let encoder, let container, let packet else { return }
        while true {
            let received = avcodec_receive_packet(encoder, packet)
            if received == pyacq_averror_eagain() || received == pyacq_averror_eof() { return }
            try LibAV.check(received, "cannot encode into '\(path)'")
            av_packet_rescale_ts(packet, encoder.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            let written = av_write_frame(container, packet)
            av_packet_unref(packet)
            try LibAV.check(written, "cannot write to '\(path)'")
            avio_flush(container.pointee.pb)
        }
    }

    /// Drains the encoder, writes the trailer (the AVI index) and closes the file.
    func finish() throws(PyAcqError) {
        guard let encoder, let container else { return }
        defer { release(deleteFile: false) }
        try LibAV.check(avcodec_send_frame(encoder, nil), "cannot flush the encoder of '\(path)'")
        try drain()
        try LibAV.check(av_write_trailer(container), "cannot finish '\(path)'")
    }

    private func release(deleteFile: Bool) {
        if let container {
            if container.pointee.pb != nil { avio_closep(&container.pointee.pb) }
            avformat_free_context(container)
            if deleteFile { unlink(path) }
        }
        container = nil
        avcodec_free_context(&encoder)
        av_frame_free(&frame)
        av_packet_free(&packet)
        sws_freeContext(scaler)
        scaler = nil
    }
}
