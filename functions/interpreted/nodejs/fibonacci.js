'use strict';
// fibonacci.Greeter/SayHello in Node.js: fib of the name, worded as
// vSwarm's servers word it; a name that is not a number counts as 0.
const { serve } = require('./serve');

function fib(x) {
  let a = 0n;
  let b = 1n;
  for (let i = 0; i < x; i++) {
    [a, b] = [b, a + b];
  }
  return a;
}

serve('fibonacci.Greeter', {
  SayHello(req) {
    const x = /^[+-]?\d+$/.test(req.name) ? parseInt(req.name, 10) : 0;
    return `fn: Fib: y = fib(x) | x: ${x} y: ${fib(x)} | runtime: NodeJS`;
  },
});
