// Test PKI made with the openssl CLI: a throwaway CA, a serving certificate for 127.0.0.1, an admin
// client certificate (group system:masters) and a service-account signing key pair. EC P-256 keys:
// fast to generate on a busy 2-core machine.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr || (e as Error).message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Writes a fresh PKI into `dir` (files readable by the owner only) and returns the file paths. */
export function generatePki(dir: string): TestPki {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n: string): string => path.join(dir, n);
  openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3',
      '-subj',
      '/CN=jobforge-test-ca',
    ],
    dir,
  );
  const leaf = (name: string, subj: string, ext: string[]): void =>
    openssl(
      [
        'req',
        '-x509',
        ...EC,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '3',
        '-subj',
        subj,
        ...ext.flatMap((e) => ['-addext', e]),
      ],
      dir,
    );
  leaf('serving', '/CN=127.0.0.1', [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'extendedKeyUsage=serverAuth',
    'basicConstraints=critical,CA:FALSE',
  ]);
  leaf('admin', '/O=system:masters/CN=jobforge-admin', [
    'extendedKeyUsage=clientAuth',
    'basicConstraints=critical,CA:FALSE',
  ]);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'sa.key'], dir);
  openssl(['ec', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    servingCert: f('serving.crt'),
    servingKey: f('serving.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
  };
}
