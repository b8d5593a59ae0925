"""The harness of the project's Python reference functions.

Serves one vSwarm service with grpcio, its messages built by protobuf from
service.desc (a serialized FileDescriptorSet the image holds beside this
file). Flags: --addr=0.0.0.0 --port=50051 (vSwarm's Python images take them
too; GRPC_PORT, which those images read, is honoured when no --port is
given).
"""
import argparse
import os
import sys
from concurrent import futures

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def message_class(desc):
    """The message class of a descriptor, on old and new protobufs."""
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(desc.file.pool).GetPrototype(desc)


def flags():
    parser = argparse.ArgumentParser()
    parser.add_argument("--addr", default="0.0.0.0")
    parser.add_argument("--port", default=os.environ.get("GRPC_PORT", "50051"))
    args, _ = parser.parse_known_args()
    return args


def serve(service, handlers):
    """Answer service's methods: each handler takes the request and returns
    the reply's text, which goes into the reply's one string field."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "service.desc"), "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read()).file
    pool = descriptor_pool.DescriptorPool()
    for fd in files:
        pool.Add(fd)
    svc = pool.FindServiceByName(service)
    methods = {}
    for m in svc.methods:
        request, reply = message_class(m.input_type), message_class(m.output_type)
        field = m.output_type.fields[0].name

        def unary(req, context, handler=handlers[m.name], reply=reply, field=field):
            return reply(**{field: handler(req)})

        methods[m.name] = grpc.unary_unary_rpc_method_handler(
            unary, request_deserializer=request.FromString, response_serializer=reply.SerializeToString)
    args = flags()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=10))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, methods),))
    addr = "%s:%s" % (args.addr, args.port)
    if server.add_insecure_port(addr) == 0:
        sys.exit("error: cannot listen on " + addr)
    server.start()
    print("listening on " + addr, flush=True)
    server.wait_for_termination()
