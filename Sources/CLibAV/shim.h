#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

/* Swift cannot import FFmpeg's function-like error macros: expose them as functions. */
static inline int pyacq_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int pyacq_averror_eof(void) { return AVERROR_EOF; }
static inline int pyacq_averror_exit(void) { return AVERROR_EXIT; }
static inline const char *pyacq_av_err2str(int code, char *buf, size_t size) {
    av_strerror(code, buf, size);
    return buf;
}
