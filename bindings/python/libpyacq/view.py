"""One-command live view of any running stream::

    python -m libpyacq.view params.json                    # stream params saved as JSON
    python -m libpyacq.view tcp://127.0.0.1:5001 dev [output]   # a node served over pyacq RPC

The first form reads a stream's params (what ``output.params`` holds: protocol, interface,
port, transfermode, dtype, shape, sample_rate...) from a JSON file, as a C or MATLAB program
can write them. The second asks the RPC server at the address (a node group of libpyacq or of
the original pyacq, or any server publishing the node by name) for the node called `dev` and
connects to its output (`output` names one when it has several). Image and video streams
((h, w, 3) frames) open an ImageViewer, 2-D signals a QOscilloscope. Options: ``--seconds N``
closes after N seconds, ``--screenshot FILE`` saves the window as PNG before closing.
"""

import argparse
import json
import os
import sys

__all__ = ["main", "resolve_stream", "viewer_for"]


def _value(proxy):
    return proxy._get_value() if hasattr(proxy, "_get_value") else proxy


def _find_node(client, node_name):
    """The node proxy called `node_name` among the server's node group's nodes, else the
    server's namespace entry of that name."""
    from .errors import PyAcqError
    try:
        nodegroup = client["nodegroup"]
    except (PyAcqError, KeyError):
        nodegroup = None
    names = []
    if nodegroup is not None:
        for node in _value(nodegroup.list_nodes()) or []:
            name = _value(node.name)
            names.append(name)
            if name == node_name:
                return node
    try:
        return client[node_name]
    except (PyAcqError, KeyError):
        raise SystemExit("no node %r at %s (nodes: %s)" % (node_name, client.address if hasattr(client, "address") else "",
                                                            ", ".join(map(str, names)) or "none")) from None


def resolve_stream(args):
    """What InputStream.connect takes: a params dict, or an output proxy."""
    if len(args) == 1:
        path = args[0]
        if not os.path.isfile(path):
            raise SystemExit("%s: no such params file (or give an RPC address and a node name)" % path)
        with open(path) as f:
            try:
                params = json.load(f)
            except ValueError as exc:
                raise SystemExit("%s is not JSON stream params: %s" % (path, exc)) from None
        if not isinstance(params, dict) or "port" not in params or "protocol" not in params:
            raise SystemExit("%s: stream params need at least protocol and port (and interface, dtype, shape...)" % path)
        return params
    if len(args) not in (2, 3):
        raise SystemExit("usage: python -m libpyacq.view <params.json | rpc-address node-name [output-name]>")
    from .rpc import RPCClient
    client = RPCClient(args[0], timeout=10.0)
    node = _find_node(client, args[1])
    outputs = node.outputs
    if not hasattr(outputs, "keys") or hasattr(outputs, "_get_value"):
        outputs = _value(outputs)   # an original pyacq node: its outputs dict by value
    names = [str(k) for k in outputs.keys()]
    if len(args) == 3:
        if args[2] not in names:
            raise SystemExit("node %r has no output %r (outputs: %s)" % (args[1], args[2], ", ".join(names)))
        return outputs[args[2]]
    if len(names) != 1:
        raise SystemExit("node %r has %d outputs (%s): name one" % (args[1], len(names), ", ".join(names)))
    return outputs[names[0]]


def viewer_for(params):
    """The viewer class for stream `params`: ImageViewer for frames, else QOscilloscope."""
    from . import viewers
    shape = list(params.get("shape") or [])
    streamtype = params.get("streamtype")
    if streamtype in ("video", "image") or (len(shape) == 3 and shape[-1] in (3, 4)):
        return viewers.ImageViewer
    if len(shape) == 2:
        return viewers.QOscilloscope
    raise SystemExit("cannot show a stream of shape %r (streamtype %r): need (samples, channels) signals or "
                     "(h, w, 3) frames" % (shape, streamtype))


def open_view(source):
    """(viewer, input params) for a params dict or output proxy: configured, connected, started."""
    from .stream import InputStream
    probe = InputStream()
    probe.connect(source)
    params = dict(probe.params)
    probe.close()
    cls = viewer_for(params)
    viewer = cls()
    viewer.configure()
    viewer.input.connect(source)
    viewer.initialize()
    viewer.setWindowTitle("libpyacq view: %s" % params.get("name", params.get("port")))
    viewer.show()
    viewer.start()
    return viewer, params


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m libpyacq.view", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="+", help="params.json, or rpc-address node-name [output-name]")
    parser.add_argument("--seconds", type=float, default=None, help="close after this many seconds")
    parser.add_argument("--screenshot", default=None, help="save the window as PNG before closing")
    args = parser.parse_args(argv)
    source = resolve_stream(args.source)
    import pyqtgraph as pg
    from pyqtgraph.Qt import QtCore
    app = pg.mkQApp()
    viewer, params = open_view(source)
    print("viewing %s stream %s with %s" % (params.get("streamtype", "?"), params.get("shape"), type(viewer).__name__),
          flush=True)
    if viewer.__class__.__name__ == "QOscilloscope":
        QtCore.QTimer.singleShot(1000, viewer.auto_scale)

    def finish():
        if args.screenshot:
            viewer.grab().save(args.screenshot)
        viewer.close()
        app.quit()

    if args.seconds is not None:
        QtCore.QTimer.singleShot(int(args.seconds * 1000), finish)
    app.exec_() if hasattr(app, "exec_") else app.exec()
    if viewer.running():
        viewer.stop()
    if not viewer.closed():
        viewer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
