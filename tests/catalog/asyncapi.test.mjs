// The generated AsyncAPI document (tools/apidocs) through the AsyncAPI parser: it validates, it
// declares every message the protos give a wire name on the subject they give it, each message
// with its headers and payload schema; and a broken document, or one that leaves a published
// message out, is caught.
//
//   ASYNCAPI=build/debug/docs/asyncapi.yaml node --test tests/catalog/asyncapi.test.mjs
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { declared, missing, parse } from './catalog.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = process.env.ASYNCAPI;
assert.ok(DOC, 'ASYNCAPI names the generated document');
const text = readFileSync(DOC, 'utf8');

// Every (subject, wire name) the .proto files declare, read from their text (not through the
// generator): `option (eda.wire_name) = "..."` lines, then the message's `option (eda.subject)`.
function protoDeclarations() {
  const pairs = [];
  const dirs = readdirSync(path.join(ROOT, 'proto'), { withFileTypes: true }).filter((d) => d.isDirectory());
  for (const dir of dirs) {
    for (const file of readdirSync(path.join(ROOT, 'proto', dir.name)).filter((f) => f.endsWith('.proto'))) {
      const source = readFileSync(path.join(ROOT, 'proto', dir.name, file), 'utf8');
      for (const block of source.split(/\nmessage /).slice(1)) {
        const names = [...block.matchAll(/option \(eda\.wire_name\) = "([^"]+)";/g)].map((m) => m[1]);
        const subject = block.match(/option \(eda\.subject\) = "([^"]+)";/)?.[1];
        for (const name of names) pairs.push(`${subject} ${name}`);
      }
    }
  }
  return pairs;
}

test('the document validates with the AsyncAPI parser', async () => {
  const { document, errors, warnings } = await parse(text);
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.ok(document);
  assert.equal(document.version(), '3.0.0');
  assert.ok(document.channels().length >= 12, `${document.channels().length} channels`);
});

test('every message the protos declare is in the document, on its subject', async () => {
  const { document } = await parse(text);
  const fromProtos = protoDeclarations();
  assert.ok(fromProtos.length >= 34, `${fromProtos.length} declarations read from the protos`);
  assert.deepEqual(missing(document, fromProtos), []);
  assert.equal(declared(document).size, fromProtos.length, 'and nothing else');
});

test('each message has its headers, content type and payload schema', async () => {
  const { document } = await parse(text);
  for (const message of document.allMessages()) {
    assert.equal(message.contentType(), 'application/x-protobuf', message.name());
    assert.ok(message.headers()?.required()?.includes('Nats-Msg-Id'), `${message.name()} headers`);
    assert.equal(message.payload()?.type(), 'object', `${message.name()} payload`);
  }
  const created = document.allMessages().all().find((m) => m.name() === 'ordersapi.OrderCreated');
  const properties = created.payload().properties();
  assert.deepEqual(Object.keys(properties), ['id', 'customer_id', 'payment_id', 'shopping_id', 'items']);
  assert.equal(properties.items.type(), 'array');
  assert.equal(properties.items.items().properties().price.type(), 'number');
  assert.equal(properties.id.extensions().get('x-protobuf-field').value(), 1);
  assert.ok(created.headers().properties()['Mallbots-Aggregate-Seq'], 'events carry their sequence');
});

test('a broken document is refused by the parser', async () => {
  const { errors } = await parse(text.replace('action: receive', 'action: listen'));
  assert.ok(errors.length > 0, 'an operation with an unknown action');
  const { errors: typed } = await parse(text.replace(/address: mallbots\.ordering\.events\.Order\n/, 'address: 42\n'));
  assert.ok(typed.length > 0, 'an address of the wrong type');
});

test('a published message left out of the document is reported', async () => {
  // ordersapi.OrderCompleted removed from its channel (and the operation that lists it).
  const cut = text
    .split('\n')
    .filter((line) => !line.includes('#/components/messages/ordersapi.OrderCompleted') &&
      !line.includes('/messages/ordersapi.OrderCompleted"') && !/^      ordersapi\.OrderCompleted:$/.test(line))
    .join('\n');
  const { document, errors } = await parse(cut);
  assert.deepEqual(errors, []);
  assert.deepEqual(missing(document, ['mallbots.ordering.events.Order ordersapi.OrderCompleted']), [
    'mallbots.ordering.events.Order ordersapi.OrderCompleted',
  ]);
});
