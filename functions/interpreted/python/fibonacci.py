"""fibonacci.Greeter/SayHello in Python: fib of the name, worded as vSwarm's
servers word it; a name that is not a number counts as 0."""
import re

from serve import serve


def fib(x):
    a, b = 0, 1
    for _ in range(x):
        a, b = b, a + b
    return a


def say_hello(req):
    x = int(req.name) if re.fullmatch(r"[+-]?\d+", req.name) else 0
    return "fn: Fib: y = fib(x) | x: %d y: %d | runtime: python" % (x, fib(x))


if __name__ == "__main__":
    serve("fibonacci.Greeter", {"SayHello": say_hello})
