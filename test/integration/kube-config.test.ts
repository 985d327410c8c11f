// loadKubeConfig on real files: kubectl's KUBECONFIG merge, the context namespace, and the errors
// for a kubeconfig a user can get wrong (each naming the file and the missing entry).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { contextNamespace, loadKubeConfig } from '../../core/io/kube';

let dir: string;
let savedKubeconfig: string | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobforge-kubeconfig-'));
  savedKubeconfig = process.env.KUBECONFIG;
});
afterEach(() => {
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  fs.rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, lines: string[]): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
};
const clusterAndUser = (server = 'https://127.0.0.1:6443', name = 'prod'): string[] => [
  'apiVersion: v1',
  'kind: Config',
  'clusters:',
  `- name: ${name}`,
  '  cluster:',
  `    server: ${server}`,
  'users:',
  `- name: ${name}-admin`,
  '  user:',
  '    token: secret-token',
];
const contextOnly = (namespace: string, current = 'work', cluster = 'prod'): string[] => [
  'apiVersion: v1',
  'kind: Config',
  'contexts:',
  `- name: ${current}`,
  '  context:',
  `    cluster: ${cluster}`,
  `    user: ${cluster}-admin`,
  `    namespace: ${namespace}`,
  `current-context: ${current}`,
];

describe('a KUBECONFIG list is merged as kubectl merges it', () => {
  test('cluster and user from one file, the context (with its namespace) from another', () => {
    const a = write('cluster.yaml', clusterAndUser());
    const b = write('context.yaml', contextOnly('team-a'));
    process.env.KUBECONFIG = [a, b].join(path.delimiter);
    const kc = loadKubeConfig();
    expect(kc.getCurrentContext()).toBe('work');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(kc.getCurrentUser()?.name).toBe('prod-admin');
    expect(contextNamespace(kc)).toBe('team-a');
  });

  test('the same list given as the kubeconfig option', () => {
    const a = write('cluster.yaml', clusterAndUser());
    const b = write('context.yaml', contextOnly('team-b'));
    delete process.env.KUBECONFIG;
    expect(contextNamespace(loadKubeConfig([b, a].join(path.delimiter)))).toBe('team-b');
  });

  test('the first file that sets current-context and the first definition of a name win; missing files are skipped', () => {
    const a = write('a.yaml', [
      ...clusterAndUser('https://first:6443'),
      ...contextOnly('ns-a', 'ctx-a').slice(2),
    ]);
    const b = write('b.yaml', [
      ...clusterAndUser('https://second:6443'),
      ...contextOnly('ns-b', 'ctx-b').slice(2),
    ]);
    process.env.KUBECONFIG = [path.join(dir, 'missing.yaml'), a, b].join(path.delimiter);
    const kc = loadKubeConfig();
    expect(kc.getCurrentContext()).toBe('ctx-a');
    expect(kc.getCurrentCluster()?.server).toBe('https://first:6443');
    expect(kc.getContexts().map((c) => c.name)).toEqual(['ctx-a', 'ctx-b']);
  });

  test('a context without a namespace has none (the caller picks its default)', () => {
    const a = write('a.yaml', [
      ...clusterAndUser(),
      ...contextOnly('x')
        .slice(2)
        .filter((l) => !l.includes('namespace')),
    ]);
    expect(contextNamespace(loadKubeConfig(a))).toBeUndefined();
  });

  test('relative certificate paths resolve against the file that names them', () => {
    fs.mkdirSync(path.join(dir, 'sub'));
    const a = write('sub/cluster.yaml', [
      ...clusterAndUser().slice(0, 6),
      '    certificate-authority: ca.crt',
      ...clusterAndUser().slice(6),
    ]);
    const b = write('context.yaml', contextOnly('x'));
    expect(loadKubeConfig([b, a].join(path.delimiter)).getCurrentCluster()?.caFile).toBe(
      path.join(dir, 'sub', 'ca.crt'),
    );
  });
});

describe('bad kubeconfigs are refused, naming the file and the entry', () => {
  test('a missing file', () => {
    const f = path.join(dir, 'nope.yaml');
    expect(() => loadKubeConfig(f)).toThrow(`'kubeconfig' file does not exist, got ${JSON.stringify(f)}`);
  });

  test('a KUBECONFIG list with no existing file', () => {
    const list = [path.join(dir, 'a'), path.join(dir, 'b')].join(path.delimiter);
    process.env.KUBECONFIG = list;
    expect(() => loadKubeConfig()).toThrow(
      `'KUBECONFIG' names no existing file, got ${JSON.stringify(list)}`,
    );
  });

  test('an unreadable file', () => {
    const sub = path.join(dir, 'a-directory');
    fs.mkdirSync(sub);
    process.env.KUBECONFIG = sub;
    expect(() => loadKubeConfig()).toThrow(`'KUBECONFIG' file ${JSON.stringify(sub)} cannot be read: EISDIR`);
  });

  test('a file that is not a kubeconfig', () => {
    const f = write('bad.yaml', ['clusters:', '- name: x', '  cluster: {}']);
    expect(() => loadKubeConfig(f)).toThrow(
      `'kubeconfig' file ${JSON.stringify(f)} is not a valid kubeconfig: clusters[0].cluster.server is missing`,
    );
  });

  test('no current-context', () => {
    const f = write('a.yaml', clusterAndUser());
    expect(() => loadKubeConfig(f)).toThrow(`'kubeconfig' has no current-context in ${JSON.stringify(f)}`);
  });

  test('a current-context that is not defined', () => {
    const f = write('a.yaml', [...clusterAndUser(), 'current-context: typo']);
    expect(() => loadKubeConfig(f)).toThrow(
      `'kubeconfig' current-context "typo" is not defined in ${JSON.stringify(f)}`,
    );
  });

  test('a context whose cluster is not defined (in any file of the list)', () => {
    const a = write('a.yaml', clusterAndUser());
    const b = write('b.yaml', contextOnly('x', 'work', 'staging'));
    process.env.KUBECONFIG = [b, a].join(path.delimiter);
    expect(() => loadKubeConfig()).toThrow(
      `'kubeconfig' context "work" names cluster "staging", which is not defined in the KUBECONFIG files ${JSON.stringify([b, a])}`,
    );
  });

  test('a context whose user is not defined', () => {
    const f = write('a.yaml', [
      ...clusterAndUser().slice(0, 6),
      ...contextOnly('x')
        .slice(2)
        .map((l) => l.replace('prod-admin', 'nobody')),
    ]);
    expect(() => loadKubeConfig(f)).toThrow(
      `'kubeconfig' context "work" names user "nobody", which is not defined in ${JSON.stringify(f)}`,
    );
  });

  test('kubeconfig content never appears in a message (it may hold credentials)', () => {
    const text = [...clusterAndUser(), 'current-context: typo'].join('\n');
    expect(() => loadKubeConfig(text)).toThrow(
      `'kubeconfig' current-context "typo" is not defined in the kubeconfig content`,
    );
  });
});
