import type * as YAMLModule from 'yaml';

/** `yaml`, loaded on first use, so that requiring jobforge stays cheap (bench/package-entry.bench.ts). */
const yamlLib = (): typeof YAMLModule => require('yaml') as typeof YAMLModule;

/**
 * Finds Kubernetes Secrets among manifest files (what `jobforge publish` refuses to commit to Git
 * unless told to). Files named `*.yaml`, `*.yml` or `*.json` are parsed as YAML streams (JSON is
 * YAML); a Secret is a document of `kind: Secret`, or an item of a `kind: *List` document. Other
 * files are not manifests and are not looked at.
 */

/** A manifest file: its path and its bytes. */
export interface ManifestFile {
  readonly path: string;
  readonly content: string | Uint8Array;
}

/** A Secret found in a manifest file. Never carries the Secret's data. */
export interface SecretManifest {
  /** The file's path. */
  readonly path: string;
  /** The 1-based index of the YAML document in the file. */
  readonly document: number;
  /** `metadata.name`, when it has one. */
  readonly name?: string;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function secretName(object: Record<string, unknown>): string | undefined {
  const metadata = object.metadata;
  return isObject(metadata) && typeof metadata.name === 'string' ? metadata.name : undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LATIN1 = new TextDecoder('latin1');

/** The text of a file: UTF-8, or byte per character when it is not UTF-8 (`kind: Secret` is ASCII). */
function manifestText(content: string | Uint8Array): string {
  if (typeof content === 'string') return content;
  try {
    return UTF8.decode(content);
  } catch {
    return LATIN1.decode(content);
  }
}

/**
 * The Secrets in `files`, in file and document order.
 * @throws Error naming the file and line when a manifest file is not valid YAML (it could not be
 *   checked; the message never quotes the file's content)
 */
export function findSecretManifests(files: readonly ManifestFile[]): SecretManifest[] {
  const found: SecretManifest[] = [];
  for (const file of files) {
    if (!MANIFEST_FILE.test(file.path)) continue;
    const documents = yamlLib().parseAllDocuments(manifestText(file.content));
    const list = Array.isArray(documents) ? documents : [documents];
    list.forEach((doc, i) => {
      const error = doc.errors[0];
      if (error !== undefined) {
        const line = error.linePos?.[0]?.line;
        throw new Error(
          `'${file.path}' is not valid YAML${line === undefined ? '' : ` (line ${line})`}, so it cannot be checked for Secrets`,
        );
      }
      const object: unknown = doc.toJS({ maxAliasCount: 1000 });
      if (!isObject(object)) return;
      const candidates =
        typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items)
          ? [object, ...object.items]
          : [object];
      for (const c of candidates) {
        if (isObject(c) && c.kind === 'Secret') {
          const name = secretName(c);
          found.push({ path: file.path, document: i + 1, ...(name !== undefined ? { name } : {}) });
        }
      }
    });
  }
  return found;
}
