import { parseQuantity } from '../../../core/quantity';

describe('parseQuantity', () => {
  test.each([
    ['500m', 0.5],
    ['1', 1],
    ['1.5', 1.5],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['2k', 2000],
    ['1e3', 1000],
    ['.5', 0.5],
    ['5.', 5],
    ['+1', 1],
    [' 1 ', 1],
    ['1E', 1e18],
    ['1e+3', 1000],
    ['-100m', -0.1],
    ['Mi', 0],
  ])('%s = %d', (q, n) => expect(parseQuantity(q)).toBeCloseTo(n));
  test.each(['', ' ', 'lots', '1 Gi', '1GB', '1ki', '1K', '1e', '1.2.3', '1m3'])(
    '%j is not a quantity',
    (q) => expect(parseQuantity(q)).toBeUndefined(),
  );
});
