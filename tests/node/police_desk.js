// A police desk written in Node.js: it takes the first DISPATCH on its inbox,
// acknowledges it and reports the outcome, signing both receipts as
// docs/signed-messages.md says. Used by tests/test_node_partner.py.
//
//   node police_desk.js HUB_ADDRESS CERT KEY CA PROTOS_DIR PARTY_ID
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const [address, certPath, keyPath, caPath, protosDir, partyId] = process.argv.slice(2);
const cert = fs.readFileSync(certPath);
const key = fs.readFileSync(keyPath);

const options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
                  includeDirs: [protosDir] };
const api = grpc.loadPackageDefinition(protoLoader.loadSync([
  'lifeline/hub/v1/inbox_service.proto', 'lifeline/hub/v1/handoff_service.proto',
], options)).lifeline.hub.v1;

// The signed-message types, for encoding the exact bytes that are signed and digested.
const root = new protobuf.Root();
root.resolvePath = (origin, target) => (
  target.startsWith('google/') ? protobuf.util.path.resolve(origin, target)
                                : path.join(protosDir, target));
root.loadSync('lifeline/hub/v1/signed.proto', { keepCase: true });
const Disclosure = root.lookupType('lifeline.hub.v1.Disclosure');
const SignedPayload = root.lookupType('lifeline.hub.v1.SignedPayload');

function derOfPem(pem) {
  const body = pem.toString().replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

function timestamp(ms) {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

// Signs claims as a SignedMessage (ES256, DER signature), with a decoy digest.
function sign(kind, claims, handoffId) {
  const disclosures = claims.map(([name, value]) => Buffer.from(Disclosure.encode(
    Disclosure.fromObject({ salt: crypto.randomBytes(16), name, value: JSON.stringify(value) })).finish()));
  const digests = disclosures.map((d) => crypto.createHash('sha256').update(d).digest());
  digests.push(crypto.randomBytes(32));
  digests.sort(Buffer.compare);
  const now = Date.now();
  const payload = Buffer.from(SignedPayload.encode(SignedPayload.fromObject({
    message_id: 'node-' + crypto.randomUUID(),
    kind,
    issuer: partyId,
    audience: 'hub',
    issue_time: timestamp(now),
    expire_time: timestamp(now + 5 * 60 * 1000),
    digest_algorithm: 'sha-256',
    digests,
    handoff_id: handoffId,
  })).finish());
  return {
    payload,
    algorithm: 'ES256',
    signature: crypto.sign('sha256', payload, key),  // DER-encoded ECDSA
    signer_certificate: derOfPem(cert),
    disclosures,
  };
}

const credentials = grpc.credentials.createSsl(fs.readFileSync(caPath), key, cert);
const inbox = new api.InboxService(address, credentials);
const handoffs = new api.HandoffService(address, credentials);
const call = (client, method, request) => new Promise((resolve, reject) =>
  client[method](request, (error, response) => (error ? reject(error) : resolve(response))));

const stream = inbox.SubscribeInbox({ after_sequence: 0 });
stream.on('data', async ({ message }) => {
  const handoff = message.handoff;
  if (!handoff || handoff.kind !== 'HANDOFF_KIND_DISPATCH' || handoff.state !== 'STATE_PENDING') return;
  stream.cancel();
  try {
    await call(inbox, 'AcknowledgeInbox', { through_sequence: message.sequence });
    const acked = await call(handoffs, 'AcknowledgeHandoff', {
      request_id: 'node-ack-1', handoff_id: handoff.handoff_id,
      receipt: sign('KIND_ACKNOWLEDGEMENT', [['state', 'ACKNOWLEDGED']], handoff.handoff_id),
    });
    const outcome = { code: 'OUTCOME_CODE_PERSON_FOUND_SAFE', note: 'reached the flat from Node.js' };
    const done = await call(handoffs, 'CompleteHandoff', {
      request_id: 'node-done-1', handoff_id: handoff.handoff_id, outcome,
      receipt: sign('KIND_OUTCOME', [['state', 'COMPLETED'], ['outcome_code', outcome.code],
                                     ['note', outcome.note]], handoff.handoff_id),
    });
    console.log(JSON.stringify({
      handoff_id: handoff.handoff_id,
      situation_before_ack: handoff.details.situation,
      address_before_ack: handoff.details.address_text,
      address_after_ack: acked.handoff.details.address_text,
      acknowledged: acked.handoff.state,
      completed: done.handoff.state,
    }));
    process.exit(0);
  } catch (error) {
    console.error(`${error.code}: ${error.details || error.message}`);
    process.exit(1);
  }
});
stream.on('error', (error) => {
  if (error.code !== grpc.status.CANCELLED) {
    console.error(`${error.code}: ${error.details}`);
    process.exit(1);
  }
});
