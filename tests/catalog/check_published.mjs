// Fails (exit 1) when a message published by a service is missing from the AsyncAPI document:
//   node tests/catalog/check_published.mjs <asyncapi.yaml> <published>
// <published> has a line "<subject> <message name>" per message seen on the streams (the
// end-to-end test writes it from every message its runs left on every stream).
import { readFileSync } from 'node:fs';

import { missing, parseFile } from './catalog.mjs';

const [docPath, publishedPath] = process.argv.slice(2);
const { document, errors } = await parseFile(docPath);
if (!document || errors.length > 0) {
  console.error(`${docPath} does not parse:\n  ${errors.join('\n  ')}`);
  process.exit(1);
}
const published = readFileSync(publishedPath, 'utf8').split('\n').filter(Boolean);
const absent = missing(document, published);
if (absent.length > 0) {
  console.error(`published but missing from ${docPath}:\n  ${absent.join('\n  ')}`);
  process.exit(1);
}
console.log(`all ${new Set(published).size} published (subject, message) pairs are in ${docPath}`);
