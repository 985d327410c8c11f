import type * as YAMLModule from 'yaml';

/** `yaml`, loaded on first use, so that requiring jobforge stays cheap (bench/package-entry.bench.ts). */
const yamlLib = (): typeof YAMLModule => require('yaml') as typeof YAMLModule;

/**
 * YAML for Kubernetes readers. Kubernetes decodes YAML with go-yaml v2 rules (YAML 1.1 plus Go's
 * number syntax): a plain `on`, `yes`, `NO`, `y`, `Off`, `~`, `1_000`, `0x1F`, `0o17`, `012`,
 * `1e3`, `.inf`, `.nan` or `1:20` is a boolean, null or number there, while YAML 1.2 (and the
 * `yaml` library's default) reads most of them as strings. Every string that any of these readers
 * could take for something else is written double-quoted, keys included, so a string stays a
 * string for a YAML 1.1 reader, a YAML 1.2 reader and the apiserver alike.
 */

const DATA_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);

/** The implicit (plain-scalar) resolvers of YAML 1.1 and of YAML 1.2's core schema, as `yaml` has them. */
let implicitTestsCache: readonly RegExp[] | undefined;
function implicitTests(): readonly RegExp[] {
  const YAML = yamlLib();
  implicitTestsCache ??= ['1.1', '1.2'].flatMap((version) =>
    new YAML.Document(null, { version: version as '1.1' | '1.2' }).schema.tags.flatMap((tag) =>
      tag.default && !DATA_TAGS.has(tag.tag) && tag.test instanceof RegExp ? [tag.test] : [],
    ),
  );
  return implicitTestsCache;
}

// go-yaml v2 strips every `_`, then tries Go's ParseInt/ParseUint with base 0 (0x, 0X, 0o, 0O, 0b,
// 0B, a leading 0 for octal) and its YAML-style float pattern, for plain scalars that start with
// a sign, a dot or a digit.
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$/;
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/** True when a YAML 1.1, YAML 1.2 core or go-yaml reader would read the plain scalar `s` as other than a string. */
export function isAmbiguousPlainScalar(s: string): boolean {
  if (implicitTests().some((re) => re.test(s))) return true;
  if (!/^[-+.0-9]/.test(s)) return false;
  const digits = s.replace(/_/g, '');
  return GO_INT.test(digits) || GO_FLOAT.test(digits);
}

/**
 * One Kubernetes object (plain JSON data) as a YAML document: strings a YAML 1.1 reader would
 * take for booleans, nulls or numbers are double-quoted; numbers and booleans stay plain.
 */
export function stringifyManifest(object: unknown): string {
  const YAML = yamlLib();
  const doc = new YAML.Document(object);
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && isAmbiguousPlainScalar(node.value)) {
        node.type = YAML.Scalar.QUOTE_DOUBLE;
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
}
