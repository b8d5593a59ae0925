# A SimObject parameter gem5 does not have is an error at once.
from m5.objects import Cache

Cache(size="16kB", assoc=8, sizee="32kB")
