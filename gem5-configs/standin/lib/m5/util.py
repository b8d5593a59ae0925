"""Stand-in m5.util: gem5's warn and inform print as gem5's do."""
import sys


def warn(msg, *args):
    sys.stderr.write("warn: " + (msg % args if args else msg) + "\n")


def inform(msg, *args):
    sys.stdout.write("info: " + (msg % args if args else msg) + "\n")
