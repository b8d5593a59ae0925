'use strict';
// The harness of the project's Node.js reference functions: serves one
// vSwarm service with @grpc/grpc-js, its messages read by
// @grpc/proto-loader from service.desc (a serialized FileDescriptorSet the
// image holds beside this file). Flags as vSwarm's Node images:
// --addr=0.0.0.0 --port=50051.
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

// flag returns --name=value's value, or def.
function flag(name, def) {
  const prefix = '--' + name + '=';
  const arg = process.argv.find((a) => a.startsWith(prefix));
  return arg === undefined ? def : arg.slice(prefix.length);
}

// serve answers service's methods (full name, e.g. 'fibonacci.Greeter'):
// each handler takes the request and returns the reply's text, which goes
// into the reply message's one string field.
function serve(service, handlers) {
  const desc = fs.readFileSync(path.join(__dirname, 'service.desc'));
  const defs = protoLoader.loadFileDescriptorSetFromBuffer(desc, { keepCase: true });
  const methods = defs[service];
  if (methods === undefined) {
    throw new Error('service.desc has no service ' + service);
  }
  const impl = {};
  for (const [name, method] of Object.entries(methods)) {
    const handler = handlers[name];
    if (handler === undefined) {
      throw new Error('no handler for ' + service + '/' + name);
    }
    const field = method.responseType.type.field[0].name;
    impl[name] = (call, callback) => {
      try {
        callback(null, { [field]: handler(call.request) });
      } catch (err) {
        callback({ code: grpc.status.INTERNAL, details: String(err) });
      }
    };
  }
  const server = new grpc.Server();
  server.addService(methods, impl);
  const addr = flag('addr', '0.0.0.0') + ':' + flag('port', '50051');
  server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) {
      console.error('error: ' + err.message);
      process.exit(1);
    }
    console.log('listening on ' + addr);
  });
}

module.exports = { flag, serve };
