/**
 * An option key as an environment variable name, as the Fairwinds runner converts it
 * (`ToEnvVarFormat`): an underscore between a lower-case letter or digit and an upper-case
 * letter, and between an acronym and the word after it, then upper case. `imagesToScan` →
 * `IMAGES_TO_SCAN`, `userAPIKey` → `USER_API_KEY`, `HTTPRequest` → `HTTP_REQUEST`; a name
 * already in that form is kept.
 */
export function toEnvVarName(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

/** One environment variable of a container. */
export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

// What the apiserver accepts as an env var name: printable ASCII without '='.
const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;

/**
 * The options of an on-demand job as environment variables, in the options' order. Throws when
 * a key makes a name the apiserver would refuse, or two keys make the same name.
 */
export function optionsToEnvVars(options: Readonly<Record<string, string>>): EnvVar[] {
  const byName = new Map<string, string>();
  return Object.entries(options).map(([key, value]) => {
    const name = toEnvVarName(key);
    if (!ENV_NAME.test(name)) {
      throw new Error(
        `option ${JSON.stringify(key)} makes the environment variable name ${JSON.stringify(name)}, which Kubernetes refuses (printable ASCII without '=')`,
      );
    }
    const earlier = byName.get(name);
    if (earlier !== undefined) {
      throw new Error(
        `options ${JSON.stringify(earlier)} and ${JSON.stringify(key)} both make the environment variable ${name}`,
      );
    }
    byName.set(name, key);
    return { name, value };
  });
}

/**
 * `extra` over `existing`: a variable of the same name is replaced where it stands (its
 * `valueFrom` dropped), the others are appended in order.
 */
export function mergeEnvVars<T extends { name: string }>(
  existing: readonly T[],
  extra: readonly EnvVar[],
): (T | EnvVar)[] {
  const extraByName = new Map(extra.map((e) => [e.name, e]));
  const merged: (T | EnvVar)[] = existing.map((e) => extraByName.get(e.name) ?? e);
  const present = new Set(existing.map((e) => e.name));
  for (const e of extra) if (!present.has(e.name)) merged.push(e);
  return merged;
}
