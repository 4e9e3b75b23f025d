"""pyacq.dsp over libpyacq: the DSP nodes run in Swift, in this process."""

from ..swiftnode import AnalogTrigger, DigitalTrigger, OverlapFiltfilt, SosFilter, TriggerAccumulator  # noqa: F401
