import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import test from "ava";
import { SchedulerService } from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { makeTestCerts } from "./support/certs.ts";
import { callError, makeClient } from "./support/clients.ts";
import { startTestServer } from "./support/server.ts";

const certs = makeTestCerts();
test.after.always(() => rmSync(certs.dir, { recursive: true, force: true }));

const read = (path: string) => readFileSync(path);
const tlsClient = (address: string, withCert = false) =>
  makeClient(
    SchedulerService,
    address,
    withCert
      ? grpc.credentials.createSsl(read(certs.ca), read(certs.clientKey), read(certs.clientCert))
      : grpc.credentials.createSsl(read(certs.ca)),
  );

/** The CN of the certificate a new TLS connection to `port` is shown. */
function peerSubject(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: "127.0.0.1", port, ca: read(certs.ca), servername: "localhost", ALPNProtocols: ["h2"] },
      () => {
        const cn = socket.getPeerCertificate().subject.CN;
        socket.destroy();
        resolve(String(cn));
      },
    );
    socket.on("error", reject);
  });
}

test("TLS: a TLS client is served, a plain-text client is refused", async (t) => {
  await using s = await startTestServer({ config: { tlsCert: certs.serverCert, tlsKey: certs.serverKey } });
  const secure = tlsClient(s.address);
  t.teardown(() => secure.close());
  const listed = await secure.listTasks({});
  t.deepEqual(listed.tasks, []);
  // The helper's clients are plain text.
  const refused = await callError(s.scheduler.listTasks({}, { deadline: Date.now() + 2_000 }));
  t.true([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED].includes(refused.code), refused.message);
});

test("mutual TLS: a client without a certificate is refused, one signed by the client CA is served", async (t) => {
  await using s = await startTestServer({
    config: { tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsClientCa: certs.ca },
  });
  const anonymous = tlsClient(s.address);
  const signed = tlsClient(s.address, true);
  t.teardown(() => {
    anonymous.close();
    signed.close();
  });
  const refused = await callError(anonymous.listTasks({}, { deadline: Date.now() + 3_000 }));
  t.true([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED].includes(refused.code), refused.message);
  t.deepEqual((await signed.listTasks({})).tasks, []);
});

test("TLS reload: new certificate files are served to new connections without a restart", async (t) => {
  const live = join(certs.dir, "live");
  copyFileSync(certs.serverCert, `${live}.pem`);
  copyFileSync(certs.serverKey, `${live}.key`);
  await using s = await startTestServer({
    config: { tlsCert: `${live}.pem`, tlsKey: `${live}.key`, tlsRefreshMs: 100 },
  });
  t.is(await peerSubject(s.server.port), "server-one");
  // A rotation caught half-way (new certificate, old key) keeps the old pair in service.
  copyFileSync(certs.server2Cert, `${live}.pem`);
  await new Promise((r) => setTimeout(r, 400));
  t.is(await peerSubject(s.server.port), "server-one");
  copyFileSync(certs.server2Key, `${live}.key`);
  const deadline = Date.now() + 10_000;
  let subject = await peerSubject(s.server.port);
  while (subject !== "server-two" && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    subject = await peerSubject(s.server.port);
  }
  t.is(subject, "server-two");
  const secure = tlsClient(s.address);
  t.teardown(() => secure.close());
  t.deepEqual((await secure.listTasks({})).tasks, []);
});
