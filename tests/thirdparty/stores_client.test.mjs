// A client outside C++: creates a store and a product through @grpc/grpc-js (loading our .proto
// files with @grpc/proto-loader) and receives storesapi.StoreCreated and storesapi.ProductAdded
// with nats.js as the subscriber account example-node (deploy/topology.conf), through its durable
// example-node-stores, decoding the envelope and the payloads with the same .proto files
// (protobufjs).
//
// Environment: STORES_ADDR (host:port), NATS_URL, NATS_USER (example-node), NATS_PASSWORD.
//   node --test tests/thirdparty/stores_client.test.mjs
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { connect } from 'nats';
import protobuf from 'protobufjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const STORES_ADDR = process.env.STORES_ADDR;
const NATS_URL = process.env.NATS_URL;

function storesClient() {
  const definition = protoLoader.loadSync('proto/stores/stores_service.proto', {
    includeDirs: [ROOT],
    keepCase: true,
    longs: String,
    defaults: true,
  });
  const { storespb } = grpc.loadPackageDefinition(definition);
  return new storespb.StoresService(STORES_ADDR, grpc.credentials.createInsecure());
}

function call(client, method, request) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 10000);
    client[method](request, { deadline }, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

// Our imports are named from the repository root ("proto/eda/options.proto"). Of google's,
// protobufjs bundles the common ones; descriptor.proto (which options.proto extends) ships with
// the package as a file.
function resolveImport(_origin, target) {
  if (target === 'google/protobuf/descriptor.proto') return require.resolve(`protobufjs/${target}`);
  return target.startsWith('google/') ? target : path.join(ROOT, target);
}

async function messageTypes() {
  const root = new protobuf.Root();
  root.resolvePath = resolveImport;
  await root.load(
    ['proto/messaging/stream_message.proto', 'proto/messaging/message_data.proto', 'proto/stores/stores_api.proto'],
    { keepCase: true },
  );
  return {
    envelope: root.lookupType('jetstream.StreamMessage'),
    event: root.lookupType('EventMessageData'),
    byName: {
      'storesapi.StoreCreated': root.lookupType('storespb.StoreCreated'),
      'storesapi.ProductAdded': root.lookupType('storespb.ProductAdded'),
    },
  };
}

test('creates a store and a product over gRPC and receives their events from JetStream', async (t) => {
  assert.ok(STORES_ADDR && NATS_URL, 'STORES_ADDR and NATS_URL must be set');
  const types = await messageTypes();
  // A subscriber account receives replies on its own inbox prefix only, and reads through the
  // durable the stream's owner provisioned for it (it may create none): the durable starts at the
  // beginning of the stream and the test picks its own events out by id.
  const user = process.env.NATS_USER;
  const nc = await connect({ servers: NATS_URL, user, pass: process.env.NATS_PASSWORD, inboxPrefix: `_INBOX_${user}` });
  t.after(() => nc.close());

  const client = storesClient();
  t.after(() => client.close());
  const store = await call(client, 'CreateStore', { name: 'Node Hardware', location: 'Level 2' });
  const product = await call(client, 'AddProduct', {
    store_id: store.id,
    name: 'Hammer',
    description: 'claw hammer',
    sku: 'HAM-1',
    price: 12.5,
  });
  assert.match(store.id, /^[0-9a-f-]{36}$/);
  assert.match(product.id, /^[0-9a-f-]{36}$/);

  const wanted = new Map([
    [store.id, 'storesapi.StoreCreated'],
    [product.id, 'storesapi.ProductAdded'],
  ]);
  const seen = new Map();
  const consumer = await nc.jetstream().consumers.get('STORES', `${user}-stores`);
  const deadline = Date.now() + 20000;
  while (seen.size < wanted.size && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: 50, expires: 1000 });
    for await (const m of batch) {
      const envelope = types.envelope.decode(m.data);
      assert.equal(m.headers?.get('Nats-Msg-Id'), envelope.id, 'Nats-Msg-Id carries the envelope id');
      const type = types.byName[envelope.name];
      if (type) {
        const payload = type.decode(types.event.decode(envelope.data).payload);
        if (wanted.get(payload.id) === envelope.name) seen.set(payload.id, { subject: m.subject, envelope, payload });
      }
      m.ack();
    }
  }
  assert.equal(seen.size, 2, `received ${[...seen.keys()]} of ${[...wanted.keys()]}`);

  const created = seen.get(store.id);
  assert.equal(created.subject, 'mallbots.stores.events.Store');
  assert.deepEqual({ ...created.payload }, { id: store.id, name: 'Node Hardware', location: 'Level 2' });
  assert.match(created.envelope.metadata.fields.traceparent.stringValue, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);

  const added = seen.get(product.id);
  assert.equal(added.subject, 'mallbots.stores.events.Product');
  assert.deepEqual(
    { ...added.payload },
    { id: product.id, store_id: store.id, name: 'Hammer', description: 'claw hammer', sku: 'HAM-1', price: 12.5 },
  );
});
