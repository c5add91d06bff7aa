// Offline checks of the Kubernetes manifests (deploy/k8s): render an overlay with the machine's
// `kubectl kustomize`, then validate every object three ways:
//   - against the Kubernetes API schemas (kubernetes-models: types, formats, required fields);
//   - strictly (an unknown field is an error): each object as a TypeScript object literal typed
//     with kubernetes-types, compiled by tsc, whose excess-property checks reject any field the
//     API does not have, at any depth;
//   - across objects: every service of the topology has its Deployment, Service, ConfigMap,
//     PodDisruptionBudget, HorizontalPodAutoscaler, NetworkPolicy and credentials, and every
//     Secret, ConfigMap and key an object refers to exists.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseAllDocuments } from 'yaml';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The services of the topology (as deploy/k8s/generate.sh reads them).
export function topologyServices(topology = path.join(ROOT, 'deploy/topology.conf')) {
  const services = new Set();
  for (const line of readFileSync(topology, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (['stream', 'publish', 'consume', 'call'].includes(f[0]) && f[1] && f[1] !== '*') services.add(f[1]);
  }
  return [...services];
}

// A copy of deploy/ in a temporary directory (without the overlays' secrets), with its Secrets'
// files made (make-secrets.sh), so that nothing is written into the checkout. Returns its path:
// <path>/deploy/k8s is the copy of deploy/k8s.
export function workingCopy() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mallbots-k8s-'));
  const from = path.join(ROOT, 'deploy');
  cpSync(from, path.join(dir, 'deploy'), {
    recursive: true,
    filter: (src) => !/^k8s\/overlays\/[^/]+\/secrets(\/|$)/.test(path.relative(from, src)),
  });
  for (const overlay of ['dev', 'prod']) {
    execFileSync('bash', [path.join(dir, 'deploy/k8s/make-secrets.sh'), overlay], { stdio: 'pipe' });
  }
  return dir;
}

export function removeCopy(dir) {
  rmSync(dir, { recursive: true, force: true });
}

// The objects `kubectl kustomize <dir>` renders. Throws with a clear message without kubectl.
export function render(dir) {
  let out;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (err.code === 'ENOENT') {
      throw new Error('kubectl is not installed: the manifests are rendered with `kubectl kustomize` (kubectl >= 1.27)');
    }
    throw new Error(`kubectl kustomize ${dir} failed:\n${err.stderr}`);
  }
  return parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean);
}

const name = (o) => `${o.kind}/${o.metadata?.name}`;

// Against the API schemas of kubernetes-models: the errors, as "<Kind>/<name>: <message>".
export async function validateSchemas(objects) {
  const errors = [];
  for (const o of objects) {
    let Model;
    try {
      ({ [o.kind]: Model } = await import(`kubernetes-models/${o.apiVersion}/${o.kind}`));
    } catch {
      errors.push(`${name(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      errors.push(`${name(o)}: ${err.message}`);
    }
  }
  return errors;
}

// The kubernetes-types module and type of an object ("apps/v1" -> "kubernetes-types/apps/v1").
function typesModule(apiVersion) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  return `kubernetes-types/${group.replace(/\.k8s\.io$/, '')}/${version}`;
}

// Strictly: every object as a typed object literal, compiled by tsc (an unknown field, a wrong
// type or a missing required field is an error). The errors, as "<Kind>/<name>: <message>".
export function validateStrict(objects) {
  // Beside node_modules, where tsc finds kubernetes-types.
  const dir = mkdtempSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '.tsc-'));
  try {
    const imports = new Map();
    const lines = [];
    objects.forEach((o, i) => {
      const module = typesModule(o.apiVersion);
      const alias = `T${imports.size}`;
      if (!imports.has(module)) imports.set(module, alias);
      lines.push(`// ${name(o)}\nexport const o${i}: ${imports.get(module)}.${o.kind} = ${JSON.stringify(o, null, 1)};`);
    });
    const header = [...imports].map(([module, alias]) => `import type * as ${alias} from '${module}';`);
    const file = path.join(dir, 'objects.ts');
    writeFileSync(file, `${header.join('\n')}\n${lines.join('\n')}\n`);
    const tsc = require.resolve('typescript/bin/tsc');
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--pretty', 'false',
        '--module', 'commonjs', '--moduleResolution', 'node10', file],
      { cwd: path.dirname(fileURLToPath(import.meta.url)), encoding: 'utf8', stdio: 'pipe' });
      return [];
    } catch (err) {
      const source = readFileSync(file, 'utf8').split('\n');
      // "objects.ts(12,5): error TS2353: ..." -> the object the line belongs to.
      const errors = String(err.stdout ?? '').split('\n').filter((l) => l.includes('error TS')).map((l) => {
        const at = Number(l.match(/\((\d+),/)?.[1] ?? 0);
        let owner = '?';
        for (let n = at - 1; n >= 0; n--) {
          if (source[n]?.startsWith('// ')) {
            owner = source[n].slice(3);
            break;
          }
        }
        return `${owner}: ${l.replace(/^.*error TS\d+: /, '')}`;
      });
      // tsc failed: with type errors, or for another reason, which fails the check too.
      return errors.length > 0 ? errors : [`tsc failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`];
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Every Secret, ConfigMap and key the pod templates refer to exists in `objects`.
function references(objects) {
  const errors = [];
  const byKind = (kind) => new Map(objects.filter((o) => o.kind === kind).map((o) => [o.metadata.name, o]));
  const secrets = byKind('Secret');
  const configMaps = byKind('ConfigMap');
  const has = (map, kind, owner, ref, key) => {
    const target = map.get(ref);
    if (!target) errors.push(`${owner}: ${kind} ${ref} does not exist`);
    else if (key !== undefined && !(key in (target.data ?? {}))) errors.push(`${owner}: ${kind} ${ref} has no key ${key}`);
  };
  for (const o of objects) {
    const spec = o.spec?.template?.spec;
    if (!spec) continue;
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      const owner = `${name(o)} container ${c.name}`;
      for (const e of c.env ?? []) {
        if (e.valueFrom?.secretKeyRef) has(secrets, 'Secret', owner, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
        if (e.valueFrom?.configMapKeyRef) has(configMaps, 'ConfigMap', owner, e.valueFrom.configMapKeyRef.name, e.valueFrom.configMapKeyRef.key);
      }
      for (const e of c.envFrom ?? []) {
        if (e.secretRef) has(secrets, 'Secret', owner, e.secretRef.name);
        if (e.configMapRef) has(configMaps, 'ConfigMap', owner, e.configMapRef.name);
      }
    }
    for (const v of spec.volumes ?? []) {
      if (v.configMap) has(configMaps, 'ConfigMap', `${name(o)} volume ${v.name}`, v.configMap.name);
      if (v.secret) has(secrets, 'Secret', `${name(o)} volume ${v.name}`, v.secret.secretName);
    }
  }
  return errors;
}

// What every workload must have: non-root, a read-only root filesystem, no privilege escalation,
// requests and limits, probes; a service's liveness must not be its readiness (an outage of a
// dependency makes it unready, not restarted).
function workloads(objects) {
  const errors = [];
  for (const o of objects.filter((x) => ['Deployment', 'StatefulSet'].includes(x.kind))) {
    const spec = o.spec.template.spec;
    if (spec.securityContext?.runAsNonRoot !== true) errors.push(`${name(o)}: not runAsNonRoot`);
    for (const c of spec.containers) {
      const owner = `${name(o)} container ${c.name}`;
      if (c.securityContext?.readOnlyRootFilesystem !== true) errors.push(`${owner}: root filesystem not read-only`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) errors.push(`${owner}: privilege escalation allowed`);
      if (!c.resources?.requests || !c.resources?.limits) errors.push(`${owner}: no resource requests and limits`);
    }
    if (spec.securityContext?.seccompProfile?.type !== 'RuntimeDefault') errors.push(`${name(o)}: no RuntimeDefault seccomp profile`);
    for (const c of spec.containers) {
      if (!c.securityContext?.capabilities?.drop?.includes('ALL')) errors.push(`${name(o)} container ${c.name}: capabilities not all dropped`);
    }
    // Servers (the services, NATS, PostgreSQL) have probes; clients (the robots) need none.
    const main = spec.containers[0];
    const server = o.kind === 'StatefulSet' || o.metadata.labels?.['app.kubernetes.io/component'] === 'service';
    if (server && (!main.readinessProbe || !main.livenessProbe)) errors.push(`${name(o)}: no readiness or liveness probe`);
    if (server && o.kind === 'Deployment' && JSON.stringify(main.readinessProbe) === JSON.stringify(main.livenessProbe)) {
      errors.push(`${name(o)}: liveness is its readiness`);
    }
  }
  return errors;
}

// Each service of the topology: its objects and credentials.
function services(objects, names) {
  const errors = [];
  const find = (kind, n) => objects.find((o) => o.kind === kind && o.metadata.name === n);
  const secret = (n) => objects.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith(`${n}-`));
  const natsUsers = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-config-'))?.data?.['users.conf'] ?? '';
  for (const svc of names) {
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy']) {
      if (!find(kind, svc)) errors.push(`${svc}: no ${kind}`);
    }
    // Generated: its name carries a hash of its content (a change rolls the Deployment).
    if (!objects.some((o) => o.kind === 'ConfigMap' && new RegExp(`^${svc}-config-[a-z0-9]{10}$`).test(o.metadata.name))) {
      errors.push(`${svc}: no ConfigMap ${svc}-config-<hash>`);
    }
    const key = svc.toUpperCase().replace(/-/g, '_');
    if (!(`NATS_PASSWORD_${key}` in (secret('mallbots-nats')?.data ?? {}))) errors.push(`${svc}: no NATS password`);
    if (!(`PG_PASSWORD_${key}` in (secret('mallbots-postgres')?.data ?? {}))) errors.push(`${svc}: no PostgreSQL password`);
    if (!natsUsers.includes(`user: "${svc}"`)) errors.push(`${svc}: no NATS user`);
  }
  return errors;
}

export function crossCheck(objects, names = topologyServices()) {
  return [...services(objects, names), ...references(objects), ...workloads(objects)];
}
