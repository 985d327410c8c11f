import { imageResourceCrdSchemas, toStructuralSchema } from '../../../../core/pipeline/crd-schema';
import { pipelineSchema } from '../../../../core/pipeline/schema';

describe('CRD schemas derived from the one pipeline schema', () => {
  test('every node has a type; no additionalProperties: false, $ref or anyOf', () => {
    const walk = (node: Record<string, unknown>, path: string): string[] => {
      const bad = ['$ref', 'anyOf', 'oneOf', 'allOf', 'const', '$schema'].filter((k) => k in node);
      const problems = bad.map((k) => `${path}: ${k}`);
      if (typeof node.type !== 'string') problems.push(`${path}: no type`);
      if (node.additionalProperties === false) problems.push(`${path}: additionalProperties false`);
      for (const [k, v] of Object.entries(
        (node.properties ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        problems.push(...walk(v, `${path}.${k}`));
      }
      if (node.items) problems.push(...walk(node.items as Record<string, unknown>, `${path}[]`));
      return problems;
    };
    const schemas = imageResourceCrdSchemas();
    for (const [kind, schema] of Object.entries(schemas)) {
      expect(walk(schema as unknown as Record<string, unknown>, kind)).toEqual([]);
    }
  });

  test('the policy schema carries the seed defaults and the validator limits', () => {
    const spec = imageResourceCrdSchemas().ImageResourcePolicy.properties!.spec;
    const ecr = spec.properties!.ecrRepository.properties!;
    expect(ecr.maxRepositories).toMatchObject({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    expect(ecr.maxConcurrentScans).toMatchObject({ minimum: 1, maximum: 50, default: 10 });
    expect(ecr.scanTimeout).toMatchObject({ type: 'string', default: '5m' });
    const policy = spec.properties!.policy.properties!;
    expect(policy.perRepository).toMatchObject({ type: 'boolean', default: false });
    expect(policy.alphabetical.properties!.order).toMatchObject({ enum: ['asc', 'desc'], default: 'desc' });
    expect(policy.pattern.properties!.extractPrefix).toMatchObject({ type: 'boolean', default: false });
    expect(spec.properties!.ttlDays).toMatchObject({ type: 'number', minimum: 0, maximum: 365, default: 7 });
  });

  test.each<[string, unknown, string]>([
    [
      'a union',
      { type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'number' }] } } },
      "'(root).a' uses 'anyOf'",
    ],
    ['a $ref', { type: 'object', properties: { a: { $ref: '#/x' } } }, "'(root).a' uses '$ref'"],
    [
      'a node without a type',
      { type: 'object', properties: { a: { description: 'x' } } },
      "'(root).a' has no type",
    ],
    ['not an object', 'string', '\'(root)\' must be a JSON Schema object, got "string"'],
  ])('toStructuralSchema refuses %s, naming the path', (_name, schema, message) => {
    expect(() => toStructuralSchema(schema)).toThrow(message);
  });

  test('toStructuralSchema drops additionalProperties: false and $schema', () => {
    expect(
      toStructuralSchema({
        $schema: 'x',
        type: 'object',
        additionalProperties: false,
        properties: { a: { type: 'string' } },
      }),
    ).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
  });

  test('the stack config schema requires a YAML template and names Git credentials, never holds them', () => {
    const { stackConfig } = pipelineSchema();
    const base = {
      ecr: { region: 'eu-west-1', repositoryPattern: 'team-a/*' },
      policy: { semver: { range: '>=1.0.0' } },
      template: { yaml: 'a: b' },
      git: { url: 'https://git.example.com/x.git', auth: { type: 'token', tokenEnv: 'GIT_TOKEN' } },
    };
    expect(stackConfig.safeParse(base).success).toBe(true);
    expect(
      stackConfig.safeParse({ ...base, git: { ...base.git, auth: { type: 'token', token: 's3cr3t' } } })
        .success,
    ).toBe(false);
    expect(stackConfig.safeParse({ ...base, template: {} }).success).toBe(false);
  });
});
