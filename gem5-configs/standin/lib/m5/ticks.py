"""Stand-in m5.ticks: gem5's tick frequency (1 THz) fixed."""
FREQUENCY = 10**12


def fixGlobalFrequency():
    pass


def fromSeconds(value):
    return int(round(value * FREQUENCY))
