import { randomBytes } from 'node:crypto';
import type * as YAMLModule from 'yaml';
import { isDnsLabel, isDnsSubdomain } from '../dns-name';
import { checkRelativePath } from '../git-path';
import { stringifyManifest } from '../manifest-yaml';
import type {
  DetectedImage,
  KubernetesObject,
  RenderedManifest,
  TemplateConfig,
  TemplateGitContext,
  TemplateValue,
} from './types';

/** `yaml`, loaded on first use, so that requiring jobforge stays cheap (bench/package-entry.bench.ts). */
const yamlLib = (): typeof YAMLModule => require('yaml') as typeof YAMLModule;

/**
 * Manifests from detected images.
 *
 * Two forms: a typed function `(image, variables) => objects`, or a YAML template with
 * Go-template-like placeholders. YAML templates are never substituted as text: every
 * `{{ … }}` of the TEMPLATE is first swapped for an inert token, the YAML is parsed, and the
 * tokens are then replaced inside the parsed strings (keys and values). A value (a tag, a
 * digest, a variable) can therefore never add a key, a document or a `kind`: `v1\nkind: Secret`
 * stays one string.
 *
 * Types: placeholders produce strings, with one exception, as Go templates do for numbers: a
 * plain (unquoted) scalar that is exactly one placeholder without pipes, whose value is a number
 * or boolean variable, keeps that type (`replicas: {{ .replicas }}` with `replicas: 3` gives the
 * number 3; `"{{ .replicas }}"` gives the string). Built-in placeholders are always strings, so
 * a tag such as `on` or `1.10` stays a string, and the written YAML quotes every string a YAML 1.1
 * reader would take for something else (see manifest-yaml.ts).
 *
 * Safety: only the YAML core tags are allowed (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
 * `!!map`, `!!seq`; `!!binary`, `!!python/…` and local tags are errors); keys `__proto__`,
 * `constructor` and `prototype` are refused, in templates and in what a template function
 * returns; aliases may expand the parsed template to at most {@link MAX_TEMPLATE_EXPANSION}
 * times the size of its text.
 *
 * Placeholders: `{{ .ServiceName }}`, `{{ .ImageTag }}`, `{{ .ImageDigest }}`,
 * `{{ .FullImageName }}`, `{{ .ImageRepository }}`, `{{ .ImageName }}`, `{{ .TagPrefix }}`,
 * `{{ .Registry }}`, `{{ .Namespace }}`, `{{ .GitRepoURL }}`, `{{ .GitBranch }}`, `{{ .GitPath }}`
 * (the Git target's URL, branch and path), and `{{ .<variable> }}` for each user variable.
 * Pipes: `default "x"` (when empty), `replace "old" "new"` (all occurrences), `lower`, `upper`,
 * `trunc N` (first N characters; last N when negative).
 */

const show = (value: unknown): string => JSON.stringify(value);

/** The placeholders every template can use. */
export const BUILTIN_PLACEHOLDERS = [
  'ServiceName',
  'ImageTag',
  'ImageDigest',
  'FullImageName',
  'ImageRepository',
  'ImageName',
  'TagPrefix',
  'Registry',
  'Namespace',
  'GitRepoURL',
  'GitBranch',
  'GitPath',
] as const;

/** The rendered data of a YAML template may be at most this many times the size of its text (aliases). */
export const MAX_TEMPLATE_EXPANSION = 10;

/** Keys refused anywhere in a template or a template function's objects. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The YAML core schema's tags: the only explicit tags a template may use. */
const ALLOWED_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

/** The default file of each image's manifests, relative to the Git target's path. */
export const DEFAULT_FILE_NAME = '{{ .ImageRepository }}/{{ .ImageTag }}.yaml';

type Pipe =
  | { fn: 'default'; value: string }
  | { fn: 'replace'; from: string; to: string }
  | { fn: 'lower' }
  | { fn: 'upper' }
  | { fn: 'trunc'; length: number };

/** A parsed `{{ .Name | pipe … }}`. */
interface Placeholder {
  readonly name: string;
  readonly pipes: readonly Pipe[];
}

const PLACEHOLDER = /\{\{(.*?)\}\}/gs;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits a pipe stage into words: bare words, "double-quoted strings" (\" and \\ escapes). */
function words(stage: string, where: string): Array<{ text: string; quoted: boolean }> {
  const out: Array<{ text: string; quoted: boolean }> = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(stage)) !== null && m[0] !== '') {
    end = re.lastIndex;
    if (m[1] !== undefined) out.push({ text: m[1].replace(/\\(.)/g, '$1'), quoted: true });
    else out.push({ text: m[2], quoted: false });
  }
  if (stage.slice(end).trim() !== '')
    throw new Error(`${where}: unterminated string in ${show(stage.trim())}`);
  return out;
}

function parsePlaceholder(body: string, names: ReadonlySet<string>, where: string): Placeholder {
  const [head, ...stages] = body.split('|');
  const name = head.trim();
  if (!name.startsWith('.') || !IDENT.test(name.slice(1))) {
    throw new Error(`${where}: expected a placeholder like {{ .ImageTag }}, got ${show(`{{${body}}}`)}`);
  }
  if (!names.has(name.slice(1))) {
    throw new Error(
      `${where}: unknown placeholder ${show(name)} (known: ${[...names].map((n) => `.${n}`).join(', ')})`,
    );
  }
  const pipes = stages.map((stage): Pipe => {
    const [fn, ...args] = words(stage, where);
    const strings = (n: number): string[] => {
      if (args.length !== n || args.some((a) => !a.quoted)) {
        throw new Error(
          `${where}: '${fn?.text}' takes ${n} quoted string argument(s), got ${show(stage.trim())}`,
        );
      }
      return args.map((a) => a.text);
    };
    switch (fn?.text) {
      case 'default':
        return { fn: 'default', value: strings(1)[0] };
      case 'replace': {
        const [from, to] = strings(2);
        if (from === '') throw new Error(`${where}: 'replace' needs a non-empty string to replace`);
        return { fn: 'replace', from, to };
      }
      case 'lower':
      case 'upper':
        strings(0);
        return { fn: fn.text };
      case 'trunc':
        if (args.length !== 1 || args[0].quoted || !/^-?\d+$/.test(args[0].text)) {
          throw new Error(`${where}: 'trunc' takes one integer argument, got ${show(stage.trim())}`);
        }
        return { fn: 'trunc', length: Number(args[0].text) };
      default:
        throw new Error(
          `${where}: unknown function ${show(fn?.text ?? '')} (default, replace, lower, upper, trunc)`,
        );
    }
  });
  return { name: name.slice(1), pipes };
}

/** The value of a placeholder: typed when it has no pipes, else a string. */
function evaluateTyped(p: Placeholder, values: Readonly<Record<string, TemplateValue>>): TemplateValue {
  const raw = values[p.name] ?? '';
  return p.pipes.length === 0 ? raw : evaluate(p, values);
}

function evaluate(p: Placeholder, values: Readonly<Record<string, TemplateValue>>): string {
  let v = String(values[p.name] ?? '');
  for (const pipe of p.pipes) {
    if (pipe.fn === 'default') v = v === '' ? pipe.value : v;
    else if (pipe.fn === 'replace') v = v.split(pipe.from).join(pipe.to);
    else if (pipe.fn === 'lower') v = v.toLowerCase();
    else if (pipe.fn === 'upper') v = v.toUpperCase();
    else v = pipe.length >= 0 ? v.slice(0, pipe.length) : v.slice(pipe.length);
  }
  return v;
}

/** A string with placeholders, compiled once. */
export interface StringTemplate {
  render(values: Readonly<Record<string, TemplateValue>>): string;
}

/** Compiles a string template such as a file name (`{{ .ImageRepository }}/{{ .ImageTag }}.yaml`). */
export function compileStringTemplate(
  text: string,
  names: ReadonlySet<string>,
  where: string,
): StringTemplate {
  const parts: Array<string | Placeholder> = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index), parsePlaceholder(m[1], names, where));
    last = (m.index ?? 0) + m[0].length;
  }
  const rest = text.slice(last);
  if (rest.includes('{{')) throw new Error(`${where}: unterminated placeholder in ${show(rest)}`);
  parts.push(rest);
  return {
    render: (values) => parts.map((p) => (typeof p === 'string' ? p : evaluate(p, values))).join(''),
  };
}

/** The placeholder values of one image. */
export function placeholderValues(
  image: DetectedImage,
  template: Pick<TemplateConfig, 'variables' | 'namespace'> & { readonly git?: TemplateGitContext },
): Record<string, TemplateValue> {
  return {
    ...(template.variables ?? {}),
    ServiceName: image.serviceName,
    ImageTag: image.tag,
    ImageDigest: image.digest,
    FullImageName: image.fullImageName,
    ImageRepository: image.repository,
    ImageName: image.imageName,
    TagPrefix: image.tagPrefix ?? '',
    Registry: image.registry,
    Namespace: template.namespace ?? '',
    GitRepoURL: template.git?.url ?? '',
    GitBranch: template.git?.branch ?? '',
    GitPath: template.git?.path ?? '',
  };
}

/** Checks the user variables' names and values; returns the placeholder names they enable. */
export function placeholderNames(
  variables: Readonly<Record<string, TemplateValue>> | undefined,
  field: string,
): Set<string> {
  const names = new Set<string>(BUILTIN_PLACEHOLDERS);
  for (const [key, value] of Object.entries(variables ?? {})) {
    if (!IDENT.test(key)) {
      throw new Error(`'${field}' keys must be identifiers ([A-Za-z_][A-Za-z0-9_]*), got ${show(key)}`);
    }
    if (names.has(key))
      throw new Error(`'${field}' must not redefine the built-in placeholder, got ${show(key)}`);
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok) {
      throw new Error(
        `'${field}.${key}' must be a string, a finite number or a boolean, got ${typeof value === 'number' ? String(value) : (show(value) ?? String(value))}`,
      );
    }
    names.add(key);
  }
  return names;
}

/** A compiled YAML template. */
export interface YamlTemplate {
  /** The objects of one image (strings substituted inside the parsed documents). */
  render(values: Readonly<Record<string, TemplateValue>>): unknown[];
}

/** Throws when `value` holds a key `__proto__`, `constructor` or `prototype` at any depth. */
export function checkNoForbiddenKeys(value: unknown, where: string, at = ''): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkNoForbiddenKeys(v, where, `${at}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const path = at ? `${at}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) {
        throw new Error(
          `${where} has the key ${show(key)} at ${path} (keys __proto__, constructor and prototype are refused)`,
        );
      }
      checkNoForbiddenKeys((value as Record<string, unknown>)[key], where, path);
    }
  }
}

/**
 * Compiles a YAML template: placeholders checked (unknown names and functions are errors), the
 * YAML parsed once. Throws naming `field`.
 */
export function compileYamlTemplate(
  text: string,
  names: ReadonlySet<string>,
  field = 'template.yaml',
): YamlTemplate {
  const YAML = yamlLib();
  if (typeof text !== 'string' || text.trim() === '') {
    throw new Error(`'${field}' must be a non-empty YAML string, got ${show(text)}`);
  }
  const nonce = randomBytes(6).toString('hex');
  const placeholders: Placeholder[] = [];
  const tokenFor = (i: number): string => `JFPH${nonce}N${i}X`;
  const tokenized = text.replace(PLACEHOLDER, (_m, body: string) => {
    placeholders.push(parsePlaceholder(body, names, `'${field}'`));
    return tokenFor(placeholders.length - 1);
  });
  const unterminated = tokenized.indexOf('{{');
  if (unterminated >= 0) {
    throw new Error(
      `'${field}': unterminated placeholder near ${show(tokenized.slice(unterminated, unterminated + 30))}`,
    );
  }
  const docs = YAML.parseAllDocuments(tokenized);
  if (!Array.isArray(docs)) throw new Error(`'${field}' is not valid YAML`);
  const exactToken = new RegExp(`^JFPH${nonce}N(\\d+)X$`);
  const parsed = docs.map((doc, i) => {
    const where = `'${field}' document ${i + 1}`;
    if (doc.errors.length > 0) {
      throw new Error(`${where} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
    }
    YAML.visit(doc, {
      Node(_key, node) {
        if (node.tag !== undefined && !ALLOWED_TAGS.has(node.tag)) {
          const tag = node.tag.replace(/^tag:yaml\.org,2002:/, '!!');
          throw new Error(
            `${where} uses the tag ${show(tag)}: only the YAML core tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq) are allowed`,
          );
        }
        // A plain scalar that is exactly one placeholder may keep a number or boolean type.
        if (
          YAML.isScalar(node) &&
          node.type === YAML.Scalar.PLAIN &&
          node.tag === undefined &&
          typeof node.value === 'string'
        ) {
          const m = exactToken.exec(node.value);
          if (m) node.value = `JFPH${nonce}T${m[1]}X`;
        }
      },
    });
    try {
      return doc.toJS({ maxAliasCount: 100 }) as unknown;
    } catch (err) {
      throw new Error(`${where} cannot be read: ${(err as Error).message}`);
    }
  });
  parsed.forEach((d, i) => checkNoForbiddenKeys(d, `'${field}' document ${i + 1}`));
  const expanded = JSON.stringify(parsed).length;
  if (expanded > MAX_TEMPLATE_EXPANSION * text.length) {
    throw new Error(
      `'${field}' expands (through aliases) to ${expanded} characters of data from ${text.length} characters of YAML, ` +
        `more than ${MAX_TEMPLATE_EXPANSION} times its size`,
    );
  }
  const token = new RegExp(`JFPH${nonce}[NT](\\d+)X`, 'g');
  const typedToken = new RegExp(`^JFPH${nonce}T(\\d+)X$`);
  const substitute = (s: string, values: Readonly<Record<string, TemplateValue>>): string =>
    s.replace(token, (_m, i: string) => evaluate(placeholders[Number(i)], values));
  const walk = (node: unknown, values: Readonly<Record<string, TemplateValue>>, at: string): unknown => {
    if (typeof node === 'string') {
      const typed = typedToken.exec(node);
      if (typed) return evaluateTyped(placeholders[Number(typed[1])], values);
      return substitute(node, values);
    }
    if (Array.isArray(node)) return node.map((n, i) => walk(n, values, `${at}[${i}]`));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        const key = substitute(k, values);
        const path = at ? `${at}.${key}` : key;
        if (FORBIDDEN_KEYS.has(key)) {
          throw new Error(
            `'${field}' renders the key ${show(key)} at ${path} (keys __proto__, constructor and prototype are refused)`,
          );
        }
        if (Object.prototype.hasOwnProperty.call(out, key)) {
          throw new Error(`'${field}' renders the key ${show(key)} twice at ${at || 'the top level'}`);
        }
        out[key] = walk(v, values, path);
      }
      return out;
    }
    return node;
  };
  return {
    render: (values) => parsed.filter((d) => d !== null && d !== undefined).map((d) => walk(d, values, '')),
  };
}

/** Throws unless `object` is a Kubernetes object with apiVersion, kind and a DNS-1123 metadata.name. */
export function validateKubernetesObject(object: unknown, where: string): KubernetesObject {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new Error(`${where} must be a mapping (a Kubernetes object), got ${show(object)}`);
  }
  const o = object as Record<string, unknown>;
  if (typeof o.apiVersion !== 'string' || o.apiVersion === '') {
    throw new Error(`${where} must have a string 'apiVersion', got ${show(o.apiVersion)}`);
  }
  if (typeof o.kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(o.kind)) {
    throw new Error(`${where} must have a 'kind' like Deployment, got ${show(o.kind)}`);
  }
  const metadata = o.metadata as Record<string, unknown> | undefined;
  const name = metadata?.name;
  if (typeof name !== 'string' || !isDnsSubdomain(name)) {
    throw new Error(
      `${where} (${o.kind}) 'metadata.name' must be a DNS-1123 name (lowercase alphanumerics, '-' and '.', ` +
        `at most 253 characters), got ${show(name)}`,
    );
  }
  const namespace = metadata?.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || !isDnsLabel(namespace))) {
    throw new Error(
      `${where} (${o.kind} ${name}) 'metadata.namespace' must be a DNS-1123 label, got ${show(namespace)}`,
    );
  }
  return o as unknown as KubernetesObject;
}

/** A template compiled once for many images. */
export interface CompiledTemplate {
  render(image: DetectedImage): RenderedManifest;
}

/**
 * Compiles (and validates) a template configuration: exactly one of `fn` and `yaml`, valid
 * variables, known placeholders, a valid file name template.
 */
export function compileTemplate(
  template: TemplateConfig & { readonly git?: TemplateGitContext },
  field = 'template',
): CompiledTemplate {
  if (template === null || typeof template !== 'object') {
    throw new Error(`'${field}' must be an object, got ${show(template)}`);
  }
  const hasFn = template.fn !== undefined;
  const hasYaml = template.yaml !== undefined;
  if (hasFn === hasYaml) {
    throw new Error(`'${field}' must set exactly one of fn and yaml, got ${hasFn ? 'both' : 'neither'}`);
  }
  if (hasFn && typeof template.fn !== 'function') {
    throw new Error(`'${field}.fn' must be a function, got ${show(typeof template.fn)}`);
  }
  if (
    template.namespace !== undefined &&
    (typeof template.namespace !== 'string' || !isDnsLabel(template.namespace))
  ) {
    throw new Error(`'${field}.namespace' must be a DNS-1123 label, got ${show(template.namespace)}`);
  }
  const names = placeholderNames(template.variables, `${field}.variables`);
  const fileName = compileStringTemplate(
    template.fileName ?? DEFAULT_FILE_NAME,
    names,
    `'${field}.fileName'`,
  );
  const yaml = hasYaml ? compileYamlTemplate(template.yaml as string, names, `${field}.yaml`) : undefined;
  // A template function sees every variable as a string (its type says so).
  const variables = Object.fromEntries(
    Object.entries(template.variables ?? {}).map(([k, v]) => [k, String(v)]),
  );

  return {
    render(image: DetectedImage): RenderedManifest {
      const values = placeholderValues(image, template);
      const where = `'${field}' for ${image.fullImageName}`;
      let produced: unknown[];
      if (yaml) {
        produced = yaml.render(values);
      } else {
        const result = (template.fn as NonNullable<TemplateConfig['fn']>)(image, variables);
        produced = Array.isArray(result) ? [...result] : [result];
      }
      if (produced.length === 0) throw new Error(`${where} rendered no objects`);
      // Validate exactly what is written: the JSON data of each object (own properties only).
      const objects = produced.map((o, i) => {
        const what = `${where}, object ${i + 1},`;
        const data = jsonData(o, what);
        checkNoForbiddenKeys(data, what);
        return validateKubernetesObject(data, what);
      });
      const path = fileName.render(values);
      checkRelativePath(path, `'${field}.fileName' for ${image.fullImageName}`);
      if (!/\.ya?ml$/.test(path)) {
        throw new Error(`'${field}.fileName' must end in .yaml or .yml, got ${show(path)}`);
      }
      const content = objects.map((o) => stringifyManifest(o)).join('---\n');
      return {
        path,
        content,
        objects: objects.map((o) => ({
          apiVersion: o.apiVersion,
          kind: o.kind,
          name: o.metadata.name,
          ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}),
        })),
      };
    },
  };
}

/** `value` as JSON data (what is written): own enumerable properties, no undefined, functions or cycles. */
function jsonData(value: unknown, where: string): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new Error(`${where} is not JSON data: ${(err as Error).message.split('\n')[0]}`);
  }
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/** Renders one image's manifests (compiles the template each call; use compileTemplate for many). */
export function renderManifest(template: TemplateConfig, image: DetectedImage): RenderedManifest {
  return compileTemplate(template).render(image);
}

/** Renders every image, failing on the first error, before anything is written anywhere. */
export function renderManifests(
  template: TemplateConfig,
  images: readonly DetectedImage[],
): RenderedManifest[] {
  const compiled = compileTemplate(template);
  const rendered = images.map((image) => compiled.render(image));
  const seen = new Map<string, string>();
  for (const [i, m] of rendered.entries()) {
    const other = seen.get(m.path);
    if (other !== undefined) {
      throw new Error(
        `'template.fileName' gives the same file ${show(m.path)} for ${other} and ${images[i].fullImageName}`,
      );
    }
    seen.set(m.path, images[i].fullImageName);
  }
  return rendered;
}
