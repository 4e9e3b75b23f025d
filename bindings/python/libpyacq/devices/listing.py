"""Device discovery: the audio devices PortAudio sees (for the PyAudio node) and the
Video4Linux cameras (for WebCamAV).

    import libpyacq as pyacq
    for dev in pyacq.audio_devices():
        print(dev["index"], dev["name"], dev["hostApiName"], dev["maxInputChannels"])
"""

import ctypes
import json

from .. import _capi
from .._capi import check, lib

__all__ = ["audio_devices", "video_devices"]


def _json_list(function):
    out = ctypes.c_void_p()
    check(function(ctypes.byref(out)))
    return json.loads(_capi.take_string(out.value))


def audio_devices():
    """Audio devices as dicts with pyaudio's keys (index, name, hostApi, hostApiName,
    maxInputChannels, maxOutputChannels, defaultSampleRate, default latencies, isDefaultInput,
    isDefaultOutput). A PyAudio node accepts the index or the name as input_device_index /
    output_device_index."""
    return _json_list(lib.pyacq_audio_devices)


def video_devices():
    """Cameras as dicts {"path": "/dev/videoN", "name": ...}; WebCamAV takes camera_num=N or
    camera_name=name."""
    return _json_list(lib.pyacq_video_devices)
