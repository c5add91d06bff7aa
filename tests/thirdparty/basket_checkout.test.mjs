// A client outside C++ fills and checks out a basket through @grpc/grpc-js (our .proto files,
// loaded with @grpc/proto-loader) and sees the order it becomes: ordersapi.OrderCreated with the
// basket's id on the ordering stream, read with nats.js as the subscriber account example-node
// (deploy/topology.conf) through its durable example-node-orders.
//
// Environment: STORES_ADDR, BASKETS_ADDR (host:port), NATS_URL, NATS_USER (example-node),
// NATS_PASSWORD.
//   node --test tests/thirdparty/basket_checkout.test.mjs
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
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

function client(file, pkg, service, address) {
  const definition = protoLoader.loadSync(file, {
    includeDirs: [ROOT],
    keepCase: true,
    longs: String,
    defaults: true,
  });
  const Service = grpc.loadPackageDefinition(definition)[pkg][service];
  return new Service(address, grpc.credentials.createInsecure());
}

function call(stub, method, request) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 10000);
    stub[method](request, { deadline }, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

function resolveImport(_origin, target) {
  if (target === 'google/protobuf/descriptor.proto') return require.resolve(`protobufjs/${target}`);
  return target.startsWith('google/') ? target : path.join(ROOT, target);
}

test('a basket checked out over gRPC becomes an order with its id', async (t) => {
  const { STORES_ADDR, BASKETS_ADDR, NATS_URL } = process.env;
  assert.ok(STORES_ADDR && BASKETS_ADDR && NATS_URL, 'STORES_ADDR, BASKETS_ADDR and NATS_URL');
  const root = new protobuf.Root();
  root.resolvePath = resolveImport;
  await root.load(
    ['proto/messaging/stream_message.proto', 'proto/messaging/message_data.proto', 'proto/ordering/ordering_api.proto'],
    { keepCase: true },
  );
  const envelopeType = root.lookupType('jetstream.StreamMessage');
  const eventType = root.lookupType('EventMessageData');
  const orderCreated = root.lookupType('orderingpb.OrderCreated');

  const stores = client('proto/stores/stores_service.proto', 'storespb', 'StoresService', STORES_ADDR);
  const baskets = client('proto/baskets/baskets_service.proto', 'basketspb', 'BasketService', BASKETS_ADDR);
  t.after(() => {
    stores.close();
    baskets.close();
  });
  const store = await call(stores, 'CreateStore', { name: 'Node Bakery', location: 'Level 1' });
  const bread = await call(stores, 'AddProduct', { store_id: store.id, name: 'Bread', sku: 'BR-1', price: 3.5 });

  const customer = randomUUID();
  const payment = randomUUID();
  const basket = await call(baskets, 'StartBasket', { customer_id: customer });
  await call(baskets, 'AddItem', { id: basket.id, product_id: bread.id, quantity: 2 });
  const seen = await call(baskets, 'GetBasket', { id: basket.id });
  assert.equal(seen.basket.items.length, 1);
  assert.equal(seen.basket.items[0].product_name, 'Bread');
  assert.equal(seen.basket.items[0].quantity, 2);
  await call(baskets, 'CheckoutBasket', { id: basket.id, payment_id: payment });
  await assert.rejects(call(baskets, 'CheckoutBasket', { id: basket.id, payment_id: payment }), (err) => {
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(err.details, 'baskets checkout: the basket cannot be modified');
    return true;
  });

  // The durable the ordering service provisioned for the account (a subscriber creates none).
  const user = process.env.NATS_USER;
  const nc = await connect({ servers: NATS_URL, user, pass: process.env.NATS_PASSWORD, inboxPrefix: `_INBOX_${user}` });
  t.after(() => nc.close());
  const consumer = await nc.jetstream().consumers.get('ORDERING', `${user}-orders`);
  let order;
  const deadline = Date.now() + 20000;
  while (!order && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: 50, expires: 1000 });
    for await (const m of batch) {
      const envelope = envelopeType.decode(m.data);
      if (envelope.name === 'ordersapi.OrderCreated') {
        const payload = orderCreated.decode(eventType.decode(envelope.data).payload);
        if (payload.id === basket.id) order = payload;
      }
      m.ack();
    }
  }
  assert.ok(order, `no ordersapi.OrderCreated for basket ${basket.id}`);
  assert.equal(order.customer_id, customer);
  assert.equal(order.payment_id, payment);
  assert.equal(order.items.length, 1);
  assert.equal(order.items[0].product_id, bread.id);
  assert.equal(order.items[0].store_id, store.id);
  assert.equal(order.items[0].price, 3.5);
  assert.equal(order.items[0].quantity, 2);
});
