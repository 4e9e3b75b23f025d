"""The Emotiv node's libusb transport seen from Python, the way a pyacq user configures it:
`device_handle='usb'` (or `'usb:VVVV:PPPP'`, `'usb:BUS/DEVICE'`). This machine has no Emotiv
dongle (and no USB at all), so the real libusb enumeration must give a clear error naming the
vendor:product it looked for, and the node must stay usable. Decoding over USB is tested in Swift
(EmotivUSBTests) with the simulator's report stream behind the interrupt-transfer seam."""

import pytest

from libpyacq.devices.eeg_emotiv import Emotiv


def test_absent_dongle_names_the_vendor_product_and_the_node_stays_usable():
    dev = Emotiv()
    with pytest.raises(OSError, match="no Emotiv dongle found over USB: no device 1234:ed02 or 21a1:0001 among the"):
        dev.configure(device_handle="usb")
    with pytest.raises(OSError, match="no device 21a1:0001 among the"):
        dev.configure(device_handle="usb:21a1:0001", serial="SN20120229000254")
    with pytest.raises(ValueError, match="expected 'usb', 'usb:VVVV:PPPP'"):
        dev.configure(device_handle="usb:ed02")
    assert not dev.configured()
    # The same node still takes a report file or FIFO (pyacq's device path).
    dev.configure(device_handle="/tmp/no-dongle-here.fifo", serial="SN20120229000254")
    assert dev.configured()
