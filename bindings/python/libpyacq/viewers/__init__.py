"""pyacq's viewers as Qt widget nodes (``pip install 'libpyacq[viewers]'``: pyqtgraph + PyQt5).

Used in the process that shows them, as pyacq's::

    import pyqtgraph as pg
    from libpyacq.viewers import QOscilloscope

    app = pg.mkQApp()
    viewer = QOscilloscope()
    viewer.configure(with_user_dialog=True)
    viewer.input.connect(device.output)     # a local node, a node group's node or any stream
    viewer.initialize()
    viewer.show()
    viewer.start()
    app.exec_()

``QOscilloscope``, ``QOscilloscopeMultiPlot``, ``QDigitalOscilloscope``,
``QTriggeredOscilloscope`` (AnalogTrigger + TriggerAccumulator Swift nodes), ``QTimeFreq``
(TimeFreqWorker Swift nodes), ``ImageViewer``; each registered as a node type by its name
(``libpyacq.all_nodes``). ``python -m libpyacq.view`` opens the right one for a running stream.
"""

from ..node import all_nodes, register_node_type
from ..swiftnode import TimeFreqWorker
from .imageviewer import ImageViewer
from .qdigitaloscilloscope import QDigitalOscilloscope
from .qoscilloscope import QOscilloscope
from .qoscilloscopemultiplot import QOscilloscopeMultiPlot
from .qtimefreq import QTimeFreq
from .qtriggeredoscilloscope import QTriggeredOscilloscope
from .viewbox import MyViewBox

__all__ = ["QOscilloscope", "QOscilloscopeMultiPlot", "QDigitalOscilloscope", "QTriggeredOscilloscope", "QTimeFreq",
           "ImageViewer", "TimeFreqWorker", "MyViewBox"]

for _cls in (QOscilloscope, QOscilloscopeMultiPlot, QDigitalOscilloscope, QTriggeredOscilloscope, QTimeFreq, ImageViewer):
    if all_nodes.get(_cls.__name__) is not _cls:
        register_node_type(_cls)
