import { createHash } from 'node:crypto';
import { show } from './k8s/field-checks';

/** Maximum length of an RFC 1123 label (namespaces, container names, most names that become labels). */
export const DNS_LABEL_MAX_LENGTH = 63;
/** Maximum length of an RFC 1123 subdomain (ConfigMap, Secret, ServiceAccount names). */
export const DNS_SUBDOMAIN_MAX_LENGTH = 253;
/** Maximum length of a label value. */
export const LABEL_VALUE_MAX_LENGTH = 63;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** True when `value` is an RFC 1123 label of at most `maxLength` characters. */
export function isDnsLabel(value: string, maxLength = DNS_LABEL_MAX_LENGTH): boolean {
  return value.length <= maxLength && DNS_LABEL.test(value);
}

/** True when `value` is an RFC 1123 subdomain of at most `maxLength` characters. */
export function isDnsSubdomain(value: string, maxLength = DNS_SUBDOMAIN_MAX_LENGTH): boolean {
  return value.length <= maxLength && DNS_SUBDOMAIN.test(value);
}

/** True when `value` is a valid label value (at most 63 characters, alphanumeric at both ends). */
export function isLabelValue(value: string): boolean {
  return value.length <= LABEL_VALUE_MAX_LENGTH && LABEL_VALUE.test(value);
}

/** True when `key` is a valid label or annotation key: an optional DNS subdomain prefix and a name. */
export function isQualifiedName(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0 && !isDnsSubdomain(key.slice(0, slash))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

/**
 * Throws unless `value` is an RFC 1123 label within `maxLength` characters.
 * @param field the prop name the error names
 */
export function validateDnsLabel(field: string, value: string, maxLength = DNS_LABEL_MAX_LENGTH): void {
  if (typeof value !== 'string' || !DNS_LABEL.test(value)) {
    throw new Error(
      `'${field}' must be a DNS-1123 label (lowercase alphanumerics and '-', starting and ending alphanumeric), got ${show(value)}`,
    );
  }
  if (value.length > maxLength) {
    throw new Error(
      `'${field}' must be at most ${maxLength} characters, got ${show(value)} (${value.length})`,
    );
  }
}

/**
 * Throws unless `value` is an RFC 1123 subdomain within `maxLength` characters.
 * @param field the prop name the error names
 */
export function validateDnsSubdomain(
  field: string,
  value: string,
  maxLength = DNS_SUBDOMAIN_MAX_LENGTH,
): void {
  if (typeof value !== 'string' || !DNS_SUBDOMAIN.test(value)) {
    throw new Error(
      `'${field}' must be a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.'), got ${show(value)}`,
    );
  }
  if (value.length > maxLength) {
    throw new Error(
      `'${field}' must be at most ${maxLength} characters, got ${show(value)} (${value.length})`,
    );
  }
}

/** Throws unless every key of `labels` is a qualified name and every value a valid label value. */
export function validateLabels(field: string, labels: Record<string, string> | undefined): void {
  if (labels === undefined) return;
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) throw new Error(`'${field}' has an invalid label key, got ${show(key)}`);
    if (typeof value !== 'string' || !isLabelValue(value)) {
      throw new Error(`'${field}' has an invalid value for label ${show(key)}, got ${show(value)}`);
    }
  }
}

/** The most bytes the keys and values of one object's annotations may take together. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/**
 * Throws unless every key of `annotations` is a qualified name (the apiserver checks annotation
 * keys lowercased, so `Example.com/Owner` is fine), every value a string, and keys and values
 * together take at most 256 KiB (UTF-8 bytes).
 */
export function validateAnnotations(field: string, annotations: Record<string, string> | undefined): void {
  if (annotations === undefined) return;
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    if (!isQualifiedName(key.toLowerCase())) {
      throw new Error(`'${field}' has an invalid annotation key, got ${show(key)}`);
    }
    if (typeof value !== 'string') {
      throw new Error(`'${field}' annotation ${show(key)} must be a string, got ${show(value)}`);
    }
    bytes += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (bytes > ANNOTATIONS_MAX_BYTES) {
    throw new Error(
      `'${field}' must take at most ${ANNOTATIONS_MAX_BYTES} bytes (256 KiB, keys and values), got ${bytes} bytes`,
    );
  }
}

/** The first `length` hex characters of the SHA-256 of `value`: a short, stable disambiguator. */
export function shortHash(value: string, length = 8): string {
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}

/**
 * A deterministic RFC 1123 label made from `parts` joined by '-', at most `maxLength` characters.
 *
 * Lowercases, turns every other character into '-', and collapses runs of '-'. Whenever that is
 * lossy (the result differs from the joined input) or too long, the name is truncated and ends in
 * '-' plus a hash of the joined input, so two different inputs never share a name (barring a
 * SHA-256 prefix collision) and the same input always gets the same name.
 */
export function toDnsLabel(parts: readonly string[], maxLength = DNS_LABEL_MAX_LENGTH): string {
  const joined = parts.join('-');
  const cleaned = joined
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (cleaned === joined && cleaned.length > 0 && cleaned.length <= maxLength) return cleaned;
  const hash = shortHash(joined);
  const room = maxLength - hash.length - 1;
  if (room < 1) throw new Error(`'maxLength' must leave room for a hash suffix, got ${maxLength}`);
  const head = cleaned.slice(0, room).replace(/-+$/, '');
  return head.length > 0 ? `${head}-${hash}` : hash;
}

/**
 * A deterministic label value for `value`: the value itself when valid, otherwise a sanitized,
 * truncated form ending in a hash of the original (see {@link toDnsLabel}).
 */
export function toLabelValue(value: string): string {
  if (isLabelValue(value)) return value;
  const hash = shortHash(value);
  const head = value
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, LABEL_VALUE_MAX_LENGTH - hash.length - 1)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return head.length > 0 ? `${head}-${hash}` : hash;
}
