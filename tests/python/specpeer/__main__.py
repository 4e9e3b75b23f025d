"""Command-line producer / consumer for interop tests.

Run from `tests/python` (or with it on PYTHONPATH). Every output line on
stdout is one JSON object, flushed immediately.

send — configure an OutputStream, print its params, publish a ramp:

    python -m specpeer send [--params JSON] [--dtype float32] [--nchan 16]
        [--chunk 256] [--nchunks 100] [--start-index 0]
        [--pattern ramp|zeros] [--layout c|f|reversed|strided]
        [--wait-subscriber [COUNT]] [--timeout-ms 10000] [--hold]

  * `--params` holds configure() keywords, e.g.
    '{"transfermode": "sharedmem", "buffer_size": 25600}' or
    '{"protocol": "ipc", "compression": "blosc-lz4"}'; they win over
    `--dtype` (-> "dtype") and `--nchan` (-> "shape": [-1, nchan]).
    `@FILE` reads the JSON from FILE.
  * Line 1: the stream params (what a consumer connects with).
  * `--wait-subscriber [COUNT]`: bind an XPUB (wire-identical to a PUB for
    SUB peers) and start sending only once COUNT subscriptions (default 1)
    arrived; without it chunks sent before the consumer joins are lost.
    No subscriber within --timeout-ms: line {"error": ...}, exit code 2.
  * Chunk k (k = 0..nchunks-1) covers samples
    [start + k*chunk, start + (k+1)*chunk) and is sent with
    index = start + (k+1)*chunk. Ramp values: see specpeer/patterns.py
    (sample * 1000 + flat channel, cast to dtype). `--layout` picks the
    memory layout handed to send() (all decode to the same values).
  * Last line: {"sent": nchunks, "index": last_index}.
  * `--hold`: then keep the stream (and its shared file) open until stdin
    reaches EOF or gets a line.
  * sharedmem: use buffer_size >= nchunks*chunk if the consumer must see
    every sample (the producer does not wait for slow readers).

recv — connect an InputStream and report every chunk:

    python -m specpeer recv --params JSON [--spec JSON] [--nchunks N]
        [--until-index I] [--timeout-ms 5000] [--check ramp] [--dump FILE.npy]

  * `--params`: the producer's params (line 1 of `send`), `@FILE` allowed.
    `--spec`: InputStream spec (e.g. '{"compression": ""}' overrides).
  * Line 1: {"ready": true, "url": ...} once the SUB socket is connected
    (the subscription may still be propagating).
  * One line per chunk: {"index", "shape", "sha1" (of C-order bytes),
    "sum" (float64, numeric dtypes), "ramp_ok" (with --check ramp)}.
  * Stops after N chunks or at the first chunk with index >= I (at least one
    of --nchunks / --until-index), or when no chunk arrives within
    --timeout-ms. Last line: {"chunks", "index", "complete", "ramp_ok"}.
  * `--dump FILE.npy`: np.save of all chunks concatenated along axis 0.
  * Exit code: 0 complete (and ramp ok), 1 timeout, 2 ramp mismatch.
"""

import argparse
import json
import sys

import numpy as np
import zmq

from .patterns import LAYOUTS, chunk_summary, lay_out, matches_ramp, ramp
from .streams import InputStream, OutputStream, make_url


def emit(obj):
    print(json.dumps(obj), flush=True)


def load_json(text):
    if text.startswith("@"):
        with open(text[1:]) as handle:
            return json.load(handle)
    return json.loads(text)


# ------------------------------------------------------------------- send

def run_send(args):
    kwargs = {"dtype": args.dtype, "shape": [-1, args.nchan]}
    kwargs.update(load_json(args.params))
    output = OutputStream(detect_subscribers=args.wait_subscriber > 0)
    output.configure(**kwargs)
    try:
        emit(output.params)
        if args.wait_subscriber and not output.wait_for_subscribers(args.wait_subscriber, args.timeout_ms):
            emit({"error": f"no subscriber within {args.timeout_ms} ms"})
            return 2
        index = send_chunks(output, args)
        emit({"sent": args.nchunks, "index": index})
        if args.hold:
            sys.stdin.readline()
    finally:
        output.close()
        # The process-wide context is never terminated otherwise, and then the sockets'
        # linger is not honoured at exit: the last chunks could be lost.
        zmq.Context.instance().destroy(linger=1000)
    return 0


def send_chunks(output, args):
    frame_shape = tuple(output.params["shape"][1:])
    index = args.start_index
    for _ in range(args.nchunks):
        if args.pattern == "ramp":
            chunk = ramp(index, args.chunk, frame_shape, output.dtype)
        else:
            chunk = np.zeros((args.chunk,) + frame_shape, output.dtype)
        index += args.chunk
        output.send(lay_out(chunk, args.layout), index=index)
    return index


# ------------------------------------------------------------------- recv

def run_recv(args):
    if args.nchunks is None and args.until_index is None:
        raise SystemExit("recv needs --nchunks and/or --until-index")
    stream = InputStream(spec=load_json(args.spec) if args.spec else None)
    stream.connect(load_json(args.params))
    try:
        emit({"ready": True, "url": make_url(stream.params)})
        chunks, index, complete, ramp_ok = receive_chunks(stream, args)
    finally:
        stream.close()
    emit({"chunks": len(chunks), "index": index, "complete": complete, "ramp_ok": ramp_ok})
    if args.dump:
        np.save(args.dump, np.concatenate(chunks) if chunks else np.empty(0))
    if not complete:
        return 1
    return 2 if ramp_ok is False else 0


def receive_chunks(stream, args):
    chunks, index, ramp_ok = [], None, (True if args.check == "ramp" else None)
    while not _done(args, len(chunks), index):
        if not stream.poll(args.timeout_ms):
            return chunks, index, False, ramp_ok
        index, data = stream.recv()
        data = np.array(data)  # own copy: a sharedmem view may be overwritten later
        summary = chunk_summary(index, data)
        if args.check == "ramp":
            summary["ramp_ok"] = matches_ramp(index, data)
            ramp_ok = ramp_ok and summary["ramp_ok"]
        emit(summary)
        chunks.append(data)
    return chunks, index, True, ramp_ok


def _done(args, count, index):
    if args.nchunks is not None and count >= args.nchunks:
        return True
    return args.until_index is not None and index is not None and index >= args.until_index


# -------------------------------------------------------------------- cli

def build_parser():
    parser = argparse.ArgumentParser(prog="python -m specpeer", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    send = commands.add_parser("send", help="produce a stream")
    send.add_argument("--params", default="{}", help="configure() kwargs as JSON or @FILE")
    send.add_argument("--dtype", default="float32")
    send.add_argument("--nchan", type=int, default=16)
    send.add_argument("--chunk", type=int, default=256, help="frames per chunk")
    send.add_argument("--nchunks", type=int, default=100)
    send.add_argument("--start-index", type=int, default=0)
    send.add_argument("--pattern", choices=("ramp", "zeros"), default="ramp")
    send.add_argument("--layout", choices=LAYOUTS, default="c")
    send.add_argument("--wait-subscriber", type=int, nargs="?", const=1, default=0, metavar="COUNT")
    send.add_argument("--timeout-ms", type=int, default=10000)
    send.add_argument("--hold", action="store_true", help="stay open until stdin EOF/line")
    send.set_defaults(run=run_send)

    recv = commands.add_parser("recv", help="consume a stream")
    recv.add_argument("--params", required=True, help="producer params as JSON or @FILE")
    recv.add_argument("--spec", help="InputStream spec as JSON or @FILE")
    recv.add_argument("--nchunks", type=int)
    recv.add_argument("--until-index", type=int)
    recv.add_argument("--timeout-ms", type=int, default=5000)
    recv.add_argument("--check", choices=("ramp",))
    recv.add_argument("--dump", metavar="FILE.npy")
    recv.set_defaults(run=run_recv)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
