import { redactUrl } from '../../../core/git-auth';

describe('redactUrl', () => {
  test.each([
    ['fatal: https://user:s3cr3t@h/x.git not found', 'fatal: https://***@h/x.git not found'],
    ['fetch https://h/x.git?access_token=s3cr3t failed', 'fetch https://h/x.git?*** failed'],
    ["push to 'https://h/x.git#s3cr3t' rejected", "push to 'https://h/x.git#***' rejected"],
    ['git@h:org/x.git?token=s3cr3t: denied', 'git@h:org/x.git?*** denied'],
    ['"https://u:p@h/x.git?private_token=s3cr3t"', '"https://***@h/x.git?***"'],
    ['no url here? really', 'no url here? really'],
  ])('%j → %j', (text, redacted) => {
    expect(redactUrl(text)).toBe(redacted);
    expect(redactUrl(text)).not.toContain('s3cr3t');
  });
});
