import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, signAccessToken, verifyAccessToken } from '../../src/auth/secrets.js';

const key = deriveKey(Buffer.from('unit-test-secret-0123456789abcdef0123'), 'access');

describe('access tokens', () => {
  it('carry the user of a password grant, and nothing for a client token', () => {
    const user = signAccessToken(key, { clientId: 'c', orgId: 'o', expiresAt: 2000, userId: 'u', credentialsVersion: 3 });
    expect(verifyAccessToken(key, user, 1000)).toEqual({ clientId: 'c', orgId: 'o', expiresAt: 2000, userId: 'u', credentialsVersion: 3 });
    // Issued before credentials had versions: version 0, which a user whose password never changed has.
    const older = `tl1.${Buffer.from(JSON.stringify(['c', 'o', 2000, 'u'])).toString('base64url')}`;
    const signed = `${older}.${createHmac('sha256', key).update(older.slice(4)).digest('base64url')}`;
    expect(verifyAccessToken(key, signed, 1000)).toEqual({ clientId: 'c', orgId: 'o', expiresAt: 2000, userId: 'u', credentialsVersion: 0 });
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
