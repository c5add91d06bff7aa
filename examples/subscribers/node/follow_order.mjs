// follow-order: a MallBots subscriber in Node.js (nats.js, protobufjs). It reads the orders' and
// the invoices' events through the durables of its subscriber account (deploy/topology.conf,
// `subscriber` lines; `mallctl subscriber <name>` prints the settings), decodes each message (the
// envelope, then the payload by its name, with the project's .proto files), and keeps a journal
// of the events it has processed.
//
// An event is processed (here: printed), then its journal line written and synced, then the
// message acknowledged; a message id already in the journal is acknowledged without being
// processed again. So the program may be stopped or killed at any point: it resumes where it
// was, losing no event; processing is repeated only for an event whose journal line did not
// reach the disk (a message delivered again carries the same Nats-Msg-Id), so a subscriber that
// does more than print makes that work idempotent, or commits it with the journal line.
//
// With --order it follows one order to its end: it exits once that order is completed and its
// invoice paid, or rejected, or canceled. --stop-after=N exits after N new events (of that
// order, with --order).
//
//   cd examples/subscribers/node && npm ci
//   NATS_URL=... NATS_USER=example-node NATS_PASSWORD=... \
//     node follow_order.mjs --journal=orders.journal --order=<order id>
import { closeSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { connect } from 'nats';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

const { values: args } = parseArgs({
  options: {
    'proto-root': {
      type: 'string',
      default: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..'),
    },
    journal: { type: 'string', default: 'follow-order.journal' },
    order: { type: 'string', default: '' },
    'stop-after': { type: 'string', default: '0' },
    durables: { type: 'string', default: '' },
  },
});

// Decodes messages by the names they travel under: the (eda.wire_name) options of the public
// protos.
async function loadCatalog(root) {
  const protos = new protobuf.Root();
  protos.resolvePath = (_origin, target) => {
    if (target === 'google/protobuf/descriptor.proto') return require.resolve(`protobufjs/${target}`);
    return target.startsWith('google/') ? target : path.join(root, target);
  };
  const files = ['proto/messaging/stream_message.proto', 'proto/messaging/message_data.proto'];
  for (const context of ['stores', 'customers', 'baskets', 'ordering', 'depot', 'payments']) {
    files.push(`proto/${context}/${context}_api.proto`);
  }
  await protos.load(files, { keepCase: true });
  const payloads = new Map();
  const visit = (namespace) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) {
        for (const option of nested.parsedOptions ?? []) {
          if ('(eda.wire_name)' in option) payloads.set(option['(eda.wire_name)'], nested);
        }
      }
      if (nested.nestedArray) visit(nested);
    }
  };
  visit(protos);
  const envelope = protos.lookupType('jetstream.StreamMessage');
  const eventData = protos.lookupType('EventMessageData');
  return (data) => {
    const e = envelope.decode(data);
    const type = payloads.get(e.name);
    const payload = type ? type.toObject(type.decode(eventData.decode(e.data).payload)) : null;
    return { id: e.id, name: e.name, payload };
  };
}

// The order an event is about: the order_id of an invoice's events, the id of an order's.
const orderOf = (e) => e.payload?.order_id ?? e.payload?.id ?? '-';

// The subscriber's state: one line per processed event, "<message id> <name> <order id>",
// appended and synced before the message is acknowledged.
class Journal {
  constructor(file) {
    this.seen = new Set();
    this.orders = new Map();
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    // A line cut short by a crash is dropped: its message was not acknowledged, so it comes again.
    if (text.length > 0 && !text.endsWith('\n')) {
      text = text.slice(0, text.lastIndexOf('\n') + 1);
      truncateSync(file, Buffer.byteLength(text));
    }
    for (const line of text.split('\n')) {
      const fields = line.split(' ');
      if (fields.length === 3) this.remember(...fields);
    }
    this.fd = openSync(file, 'a');
  }

  remember(id, name, order) {
    this.seen.add(id);
    if (!this.orders.has(order)) this.orders.set(order, new Set());
    this.orders.get(order).add(name);
  }

  append(e) {
    const order = orderOf(e) || '-';
    writeSync(this.fd, `${e.id} ${e.name} ${order}\n`);
    fsyncSync(this.fd);
    this.remember(e.id, e.name, order);
  }

  // Completed with its invoice paid, rejected or canceled.
  ended(order) {
    const names = this.orders.get(order) ?? new Set();
    return (
      (names.has('ordersapi.OrderCompleted') && names.has('paymentsapi.InvoicePaid')) ||
      names.has('ordersapi.OrderRejected') ||
      names.has('ordersapi.OrderCanceled')
    );
  }

  close() {
    closeSync(this.fd);
  }
}

const decode = await loadCatalog(args['proto-root']);
const journal = new Journal(args.journal);
const stopAfter = Number(args['stop-after']);
if (!Number.isInteger(stopAfter) || stopAfter < 0) {
  console.error(`follow-order: --stop-after=${args['stop-after']} is not a count`);
  process.exit(2);
}
const user = process.env.NATS_USER;
const durables = args.durables || `ORDERING:${user}-orders,PAYMENTS:${user}-invoices`;

// A subscriber account may only receive replies on its own inbox prefix.
const nc = await connect({
  servers: process.env.NATS_URL,
  user,
  pass: process.env.NATS_PASSWORD,
  inboxPrefix: `_INBOX_${user}`,
  name: 'follow-order',
});
const js = nc.jetstream();
// The durables the stream's owner provisioned: a subscriber creates none itself.
const consumers = [];
for (const entry of durables.split(',')) {
  const [stream, durable] = entry.split(':');
  consumers.push(await js.consumers.get(stream, durable));
}

let processed = 0;
for (;;) {
  if (args.order && journal.ended(args.order)) {
    console.log(`order ${args.order} ended (${processed} new events)`);
    break;
  }
  if (stopAfter > 0 && processed >= stopAfter) {
    console.log(`stopping after ${processed} new events`);
    break;
  }
  durables: for (const consumer of consumers) {
    // With --stop-after, a pull asks for no more messages than may still be processed: a message
    // refused (nak) while the pull is still open comes straight back to it, and one in flight when
    // the program leaves waits out the ack wait, while the next run gets the events after it.
    const room = stopAfter > 0 ? stopAfter - processed : 10;
    const batch = await consumer.fetch({ max_messages: Math.min(10, room), expires: 1000 });
    for await (const m of batch) {
      let e;
      try {
        e = decode(m.data);
      } catch (err) {
        // Not ours to drop: left unacknowledged, it is delivered again to the next run, once
        // someone has looked.
        console.error(`follow-order: message ${m.headers?.get('Nats-Msg-Id')} cannot be decoded, left unacknowledged: ${err.message}`);
        process.exit(1);
      }
      if (!journal.seen.has(e.id)) {
        console.log(`${e.id} ${e.name} ${JSON.stringify(e.payload)}`); // the processing
        journal.append(e);
        if (!args.order || orderOf(e) === args.order) processed++;
      }
      // Acknowledged only now that the journal has it; ackAck waits for the server.
      await m.ackAck();
    }
    if (stopAfter > 0 && processed >= stopAfter) break durables;
  }
}
journal.close();
await nc.drain();
