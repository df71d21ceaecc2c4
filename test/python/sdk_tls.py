"""The installed Python SDK's TLS and bearer-token options against a TLS gRPC server started
here (a self-signed certificate made with openssl) that answers GetTask with the
authorization header it received. Usage: sdk_tls.py
"""

import subprocess
import sys
import tempfile
from concurrent import futures
from pathlib import Path

import grpc

from partitura import Client, Connection, PartituraError, RetryPolicy
from partitura.v1 import scheduler_service_pb2 as sc, task_pb2


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def get_task(request, context):
    headers = dict(context.invocation_metadata())
    if "authorization" not in headers:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "authorization: a bearer token is required")
    return sc.GetTaskResponse(task=task_pb2.Task(name=f"{request.name} {headers['authorization']}"))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        key, cert = Path(tmp, "key.pem"), Path(tmp, "cert.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
             "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
            check=True, capture_output=True,
        )
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        handler = grpc.unary_unary_rpc_method_handler(
            get_task, request_deserializer=sc.GetTaskRequest.FromString,
            response_serializer=sc.GetTaskResponse.SerializeToString,
        )
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("partitura.v1.SchedulerService", {"GetTask": handler})])
        port = server.add_secure_port("localhost:0", grpc.ssl_server_credentials([(key.read_bytes(), cert.read_bytes())]))
        server.start()
        address = f"localhost:{port}"
        try:
            trusted = Connection(tls=True, root_certificates=cert.read_bytes(), token="t0k")
            with Client(address, connection=trusted) as client:
                check(client.get_task("x").name == "x Bearer t0k", "TLS with the CA's roots, and the token as a bearer header")
            with Client(address, connection=Connection(root_certificates=cert.read_bytes())) as client:
                try:
                    client.get_task("x")
                    check(False, "no token is refused")
                except PartituraError as error:
                    check(error.code == grpc.StatusCode.UNAUTHENTICATED and "bearer token" in error.message,
                          "without a token the server's refusal arrives as PartituraError(UNAUTHENTICATED)")
            untrusted = Connection(tls=True, token="t0k")  # the system's roots do not know the certificate
            with Client(address, connection=untrusted, timeout=5, retry_policy=RetryPolicy(attempts=1)) as client:
                try:
                    client.get_task("x")
                    check(False, "an untrusted certificate is refused")
                except PartituraError as error:
                    check(error.code == grpc.StatusCode.UNAVAILABLE, "an untrusted server certificate fails the call")
            with Client(address, token="t0k", timeout=5, retry_policy=RetryPolicy(attempts=1)) as client:
                try:
                    client.get_task("x")
                    check(False, "plaintext to a TLS port fails")
                except PartituraError as error:
                    check(error.code == grpc.StatusCode.UNAVAILABLE, "plaintext to a TLS server fails the call")
        finally:
            server.stop(0)
    print("PYTHON SDK TLS OK", flush=True)


if __name__ == "__main__":
    main()
