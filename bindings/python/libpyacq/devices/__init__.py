"""pyacq.devices over libpyacq: device nodes are Swift node types created in this process.
A device whose node type is not registered in the loaded library raises ParamsError naming it
(and listing the types it has) when created."""

from ..swiftnode import (Blackrock, BrainAmpSocket, Emotiv, MeasurementComputing, NIDAQmx,  # noqa: F401
                         NumpyDeviceBuffer, OpenBCI, OpenEphysGUIRelay, PyAudio, WebCamAV, WebCamImageIO)
