// Kyverno's JMESPath, for unit tests: the community JMESPath engine with TypeScript versions of the
// Kyverno custom functions the policies use, written from Kyverno's own definitions (pkg/engine/
// jmespath: functions.go, image.go) rather than from jobforge's code, so that evaluating a
// synthesized expression checks it independently. The e2e tests run the same expressions in the
// real Kyverno CLI.
import { createHash } from 'node:crypto';
import {
  registerFunction,
  search,
  TYPE_NUMBER,
  TYPE_STRING,
  type JSONValue,
} from '@jmespath-community/jmespath';

const DEFAULT_REGISTRY = 'docker.io';

/**
 * Kyverno's `image_normalize` (imageutils.GetImageInfo(...).String() with the default registry
 * docker.io and registry mutation on): the default registry is added when the first component is
 * not a host (no `.` or `:`, not `localhost`, lowercase); `latest` when there is neither tag nor
 * digest; a digest drops the tag. Docker Hub's `library/` is NOT added (reference.Parse, not
 * ParseNormalizedNamed).
 */
export function kyvernoImageNormalize(image: string): string {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const full =
    slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)
      ? `${DEFAULT_REGISTRY}/${image}`
      : image;
  const at = full.indexOf('@');
  const digest = at < 0 ? '' : full.slice(at + 1);
  const named = at < 0 ? full : full.slice(0, at);
  const lastSlash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tag = colon > lastSlash ? named.slice(colon + 1) : '';
  const name = colon > lastSlash ? named.slice(0, colon) : named;
  if (
    !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(
      name.slice(name.indexOf('/') + 1),
    )
  ) {
    throw new Error(`image_normalize: invalid reference format: ${JSON.stringify(image)}`);
  }
  if (digest !== '') return `${name}@${digest}`;
  return `${name}:${tag === '' ? 'latest' : tag}`;
}

/** Go's regexp.ReplaceAllString for the patterns the policies use (RE2 syntax JS shares; `$1`). */
function regexReplaceAll(pattern: string, src: string, replacement: string): string {
  return src.replace(new RegExp(pattern, 'g'), replacement);
}

/** Go's strings.Trim: every leading and trailing character that is in `cutset`. */
function trim(s: string, cutset: string): string {
  const chars = [...s];
  let start = 0;
  let end = chars.length;
  while (start < end && cutset.includes(chars[start])) start++;
  while (end > start && cutset.includes(chars[end - 1])) end--;
  return chars.slice(start, end).join('');
}

/** Kyverno's `truncate`: the first `length` bytes (Go string slicing). */
function truncate(s: string, length: number): string {
  const n = Math.max(0, Math.trunc(length));
  const bytes = Buffer.from(s, 'utf8');
  return bytes.length <= n ? s : bytes.subarray(0, n).toString('utf8');
}

let registered = false;

function registerKyvernoFunctions(): void {
  if (registered) return;
  registered = true;
  const str = (v: JSONValue): string => v as string;
  const options = { override: true };
  registerFunction(
    'image_normalize',
    ([s]) => kyvernoImageNormalize(str(s as JSONValue)),
    [{ types: [TYPE_STRING] }],
    options,
  );
  registerFunction(
    'sha256',
    ([s]) =>
      createHash('sha256')
        .update(str(s as JSONValue), 'utf8')
        .digest('hex'),
    [{ types: [TYPE_STRING] }],
    options,
  );
  registerFunction(
    'regex_replace_all',
    ([pattern, src, replacement]) =>
      regexReplaceAll(str(pattern as JSONValue), str(src as JSONValue), str(replacement as JSONValue)),
    [{ types: [TYPE_STRING] }, { types: [TYPE_STRING] }, { types: [TYPE_STRING] }],
    options,
  );
  registerFunction(
    'replace_all',
    ([s, from, to]) =>
      str(s as JSONValue)
        .split(str(from as JSONValue))
        .join(str(to as JSONValue)),
    [{ types: [TYPE_STRING] }, { types: [TYPE_STRING] }, { types: [TYPE_STRING] }],
    options,
  );
  registerFunction(
    'to_lower',
    ([s]) => str(s as JSONValue).toLowerCase(),
    [{ types: [TYPE_STRING] }],
    options,
  );
  registerFunction(
    'truncate',
    ([s, n]) => truncate(str(s as JSONValue), n as number),
    [{ types: [TYPE_STRING] }, { types: [TYPE_NUMBER] }],
    options,
  );
  registerFunction(
    'trim',
    ([s, cutset]) => trim(str(s as JSONValue), str(cutset as JSONValue)),
    [{ types: [TYPE_STRING] }, { types: [TYPE_STRING] }],
    options,
  );
}

/**
 * Evaluates a Kyverno variable (`{{ expression }}`, the whole string) or a bare JMESPath expression
 * against `data`, with Kyverno's custom functions.
 */
export function evaluateKyverno(expression: string, data: JSONValue): JSONValue {
  registerKyvernoFunctions();
  const variable = /^\{\{\s*([\s\S]*?)\s*\}\}$/.exec(expression);
  return search(data, variable ? variable[1] : expression);
}
