// The checks on the generated AsyncAPI document (build/<preset>/docs/asyncapi.yaml), shared by
// asyncapi.test.mjs and the end-to-end test's coverage check (check_published.mjs).
import { readFileSync } from 'node:fs';

import { DiagnosticSeverity, Parser } from '@asyncapi/parser';

// Parses the document with the AsyncAPI parser. Returns { document, errors, warnings }, each
// diagnostic as "<code> at <path>: <message>".
export async function parse(text) {
  const { document, diagnostics } = await new Parser().parse(text);
  const show = (d) => `${d.code} at ${d.path.join('.')}: ${d.message}`;
  return {
    document,
    errors: diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map(show),
    warnings: diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning).map(show),
  };
}

export async function parseFile(path) {
  return parse(readFileSync(path, 'utf8'));
}

// The (address, message name) pairs the document declares.
export function declared(document) {
  const pairs = new Set();
  for (const channel of document.channels()) {
    for (const message of channel.messages()) pairs.add(`${channel.address()} ${message.name()}`);
  }
  return pairs;
}

// The published messages ("<subject> <name>" lines) that the document does not declare on their
// subject.
export function missing(document, published) {
  const known = declared(document);
  return [...new Set(published)].filter((line) => !known.has(line));
}
