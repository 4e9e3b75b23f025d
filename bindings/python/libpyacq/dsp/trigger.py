"""pyacq.dsp.trigger over libpyacq."""

from ..swiftnode import AnalogTrigger, DigitalTrigger  # noqa: F401
