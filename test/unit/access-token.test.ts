import { describe, expect, it } from 'vitest';
import { deriveKey, signAccessToken, verifyAccessToken } from '../../src/auth/secrets.js';

const key = deriveKey(Buffer.from('unit-test-secret-0123456789abcdef0123'), 'access');

describe('access tokens', () => {
  it('carry the user of a password grant, and nothing for a client token', () => {
    const user = signAccessToken(key, { clientId: 'c', orgId: 'o', expiresAt: 2000, userId: 'u' });
    expect(verifyAccessToken(key, user, 1000)).toEqual({ clientId: 'c', orgId: 'o', expiresAt: 2000, userId: 'u' });
    const client = signAccessToken(key, { clientId: 'c', orgId: 'o', expiresAt: 2000 });
    expect(verifyAccessToken(key, client, 1000)).toEqual({ clientId: 'c', orgId: 'o', expiresAt: 2000 });
  });

  it("cannot be turned into another user's token or outlive their expiry", () => {
    const token = signAccessToken(key, { clientId: 'c', orgId: 'o', expiresAt: 2000, userId: 'u' });
    const [, , sig] = token.split('.');
    const forged = `tl1.${Buffer.from(JSON.stringify(['c', 'o', 2000, 'someone-else'])).toString('base64url')}.${sig}`;
    expect(verifyAccessToken(key, forged, 1000)).toBeNull();
    expect(verifyAccessToken(key, token, 2000)).toBeNull();
  });
});
