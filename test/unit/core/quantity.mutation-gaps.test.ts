// Targeted tests for what mutation testing found unchecked in core/quantity.ts: signs, exponents
// other than 1, every suffix.
import { parseQuantity } from '../../../core/quantity';

describe('parseQuantity signs, exponents and suffixes', () => {
  test.each([
    ['-500m', -0.5],
    ['+2', 2],
    ['-2', -2],
    ['2e3', 2000],
    ['-2e3', -2000],
    ['3E-2', 0.03],
    ['1.5e+2', 150],
    ['1.', 1],
    ['1e12', 1e12],
    ['2E+10', 2e10],
  ])('%s = %d', (q, n) => expect(parseQuantity(q)).toBeCloseTo(n, 12));

  test.each([
    ['1n', 1e-9],
    ['1u', 1e-6],
    ['1m', 1e-3],
    ['1k', 1e3],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1Ki', 1024],
    ['1Mi', 1024 ** 2],
    ['1Gi', 1024 ** 3],
    ['1Ti', 1024 ** 4],
    ['1Pi', 1024 ** 5],
    ['1Ei', 1024 ** 6],
  ])('%s = %d', (q, n) => expect(parseQuantity(q)).toBe(n));

  test.each(['1Ki5', '1e', '1e3Mi', '--1', '1mi', '1 Gi', 'Gi1', '1ie3', '1Ke3', '1e3e3'])(
    '%j is not a quantity',
    (q) => expect(parseQuantity(q)).toBeUndefined(),
  );
});

test('a value that is not a string is not a quantity', () => {
  expect(parseQuantity(42 as unknown as string)).toBeUndefined();
  expect(parseQuantity(undefined as unknown as string)).toBeUndefined();
});
