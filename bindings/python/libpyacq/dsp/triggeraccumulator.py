"""pyacq.dsp.triggeraccumulator over libpyacq."""

from ..swiftnode import TriggerAccumulator  # noqa: F401
