"""Connect with TLS and a bearer token (here only built, not used: the test server is plaintext)."""

import os

from partitura import Client, Connection, Worker

ca = os.environ.get("PARTITURA_CA")  # a PEM file of the CA that signed the server's certificate
connection = Connection(
    tls=True,
    root_certificates=open(ca, "rb").read() if ca else None,  # None: the system's roots
    token=os.environ.get("PARTITURA_TOKEN", "s3cret"),
)
client = Client("partitura.example.com:443", connection=connection, timeout=10.0)
worker = Worker("partitura.example.com:443", "emails", print, connection=connection)
print("metadata sent on every call:", [key for key, _ in connection.metadata()])
client.close()
