// The Kubernetes overlays (deploy/k8s/overlays/dev and prod) rendered with `kubectl kustomize`
// and validated offline (manifests.mjs): the API schemas, strictly (no unknown field), and across
// objects. A broken manifest of each kind is caught. The generated base is what
// deploy/k8s/generate.sh writes from the topology.
//
//   node --test tests/k8s/manifests.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  ROOT, crossCheck, removeCopy, render, topologyServices, validateSchemas, validateStrict, workingCopy,
} from './manifests.mjs';

let copy;
const rendered = {};
before(() => {
  copy = workingCopy();
  for (const overlay of ['dev', 'prod']) rendered[overlay] = render(path.join(copy, 'deploy/k8s/overlays', overlay));
});
after(() => removeCopy(copy));

test('the committed base is what generate.sh writes from the topology', () => {
  execFileSync('bash', [path.join(ROOT, 'deploy/k8s/generate.sh'), '--check'], { stdio: 'pipe' });
  // A base edited by hand (in the copy) is caught.
  appendFileSync(path.join(copy, 'deploy/k8s/base/services/stores.yaml'), '# edited\n');
  assert.throws(
    () => execFileSync('bash', [path.join(copy, 'deploy/k8s/generate.sh'), '--check'], { stdio: 'pipe' }),
    (err) => String(err.stderr).includes('deploy/k8s/base/services/stores.yaml is not what deploy/k8s/generate.sh writes'),
  );
});

for (const overlay of ['dev', 'prod']) {
  test(`${overlay}: every object validates against the Kubernetes API schemas`, async () => {
    assert.deepEqual(await validateSchemas(rendered[overlay]), []);
  });
  test(`${overlay}: every object validates strictly (no unknown field, no wrong type)`, () => {
    assert.deepEqual(validateStrict(rendered[overlay]), []);
  });
  test(`${overlay}: every service has its objects and credentials, every reference resolves`, () => {
    assert.deepEqual(crossCheck(rendered[overlay]), []);
    const kinds = new Set(rendered[overlay].map((o) => o.kind));
    for (const kind of ['Namespace', 'StatefulSet', 'Secret', 'NetworkPolicy']) assert.ok(kinds.has(kind), kind);
    assert.ok(rendered[overlay].some((o) => o.kind === 'Deployment' && o.metadata.name === 'bots'), 'the robots');
  });
}

test('prod: a 3-node JetStream cluster, streams with 3 replicas', () => {
  const nats = rendered.prod.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'nats');
  assert.equal(nats.spec.replicas, 3);
  const cluster = rendered.prod.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-cluster-'));
  assert.match(cluster.data['cluster.conf'], /nats-2\.nats-headless:6222/);
  const configOf = (overlay, svc) => rendered[overlay].find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${svc}-config-`));
  for (const svc of topologyServices()) {
    const config = configOf('prod', svc);
    assert.equal(config.data.STREAM_REPLICAS, '3', svc);
    // Other settings, another name: the Deployment that refers to it rolls.
    assert.equal(configOf('dev', svc).data.STREAM_REPLICAS, '1', svc);
    assert.notEqual(config.metadata.name, configOf('dev', svc).metadata.name, svc);
    const deployment = rendered.prod.find((o) => o.kind === 'Deployment' && o.metadata.name === svc);
    const refs = deployment.spec.template.spec.containers[0].envFrom.map((e) => e.configMapRef?.name);
    assert.ok(refs.includes(config.metadata.name), `${svc} refers to ${refs}`);
  }
  const dev = rendered.dev.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'nats');
  assert.equal(dev.spec.replicas, 1);
});

test('the network policy of a service lets in only its callers (the topology), and out to its peers', () => {
  const policy = rendered.prod.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'stores');
  const callers = policy.spec.ingress[0].from.map((f) => f.podSelector.matchLabels['app.kubernetes.io/name'] ??
    f.podSelector.matchLabels['app.kubernetes.io/component']);
  assert.deepEqual(callers.sort(), ['baskets', 'client', 'depot', 'operator', 'search']);
  const search = rendered.prod.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'search');
  const peers = search.spec.egress.flatMap((e) => e.to.map((t) => t.podSelector?.matchLabels?.['app.kubernetes.io/name'])).filter(Boolean);
  assert.deepEqual(peers.sort(), ['customers', 'nats', 'postgres', 'stores']);
});

// Each broken copy must be refused, by the check that should refuse it.
test('a broken manifest is caught', async () => {
  const clone = () => structuredClone(rendered.dev);
  const deployment = (objects) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'ordering');

  const unknown = clone();
  deployment(unknown).spec.template.spec.containers[0].imagePullPolice = 'Always';
  assert.match(validateStrict(unknown).join('\n'), /Deployment\/ordering: .*'"imagePullPolice"' does not exist in type 'Container'/);

  const wrongType = clone();
  deployment(wrongType).spec.replicas = 'two';
  assert.match((await validateSchemas(wrongType)).join('\n'), /Deployment\/ordering: .*replicas must be integer/);
  assert.match(validateStrict(wrongType).join('\n'), /Deployment\/ordering: .*'string' is not assignable to type 'number'/);

  const missingSecret = clone();
  deployment(missingSecret).spec.template.spec.containers[0].env
    .find((e) => e.name === 'PG_PASSWORD').valueFrom.secretKeyRef.name = 'mallbots-pg';
  assert.match(crossCheck(missingSecret).join('\n'), /Deployment\/ordering container ordering: Secret mallbots-pg does not exist/);

  const noPolicy = clone().filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'payments'));
  assert.deepEqual(crossCheck(noPolicy), ['payments: no NetworkPolicy']);

  const root = clone();
  deployment(root).spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
  assert.match(crossCheck(root).join('\n'), /ordering container ordering: root filesystem not read-only/);
});
