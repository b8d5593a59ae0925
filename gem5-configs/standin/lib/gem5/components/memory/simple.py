"""Stand-in gem5.components.memory.simple: SingleChannelSimpleMemory with
v24.0's constructor (latency, latency_var, bandwidth, size)."""
from .single_channel import SingleChannelDDR4_2400


class SingleChannelSimpleMemory(SingleChannelDDR4_2400):
    def __init__(self, latency, latency_var, bandwidth, size):
        for name, value in (("latency", latency), ("latency_var", latency_var), ("bandwidth", bandwidth)):
            if not isinstance(value, str) or not value:
                raise TypeError("SingleChannelSimpleMemory: %s must be a string such as '30ns'" % name)
        super().__init__(size)
        self._latency, self._latency_var, self._bandwidth = latency, latency_var, bandwidth
