import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

/** A client secret: 32 random bytes, URL-safe. Shown once, stored only as a hash. */
export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, 32);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64url'), expected.length);
  return timingSafeEqual(expected, actual);
}

// Access tokens are signed, not stored: verifying one costs an HMAC, not a database read.
// The client behind it is still looked up (cached briefly), so disabling a client takes effect.
export interface AccessTokenClaims {
  clientId: string;
  orgId: string;
  expiresAt: number;
  /** Set for tokens of the password grant: the user (agent) the client acts for. */
  userId?: string;
  /** With userId: the user's credentials version when it was issued (0 in tokens from before versions). */
  credentialsVersion?: number;
}

export function signAccessToken(key: Buffer, claims: AccessTokenClaims): string {
  const fields: unknown[] = [claims.clientId, claims.orgId, claims.expiresAt];
  if (claims.userId !== undefined) fields.push(claims.userId, claims.credentialsVersion ?? 0);
  const body = Buffer.from(JSON.stringify(fields)).toString('base64url');
  const sig = createHmac('sha256', key).update(body).digest('base64url');
  return `tl1.${body}.${sig}`;
}

export function verifyAccessToken(key: Buffer, token: string, now: number): AccessTokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'tl1') return null;
  const expected = createHmac('sha256', key).update(parts[1]!).digest();
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const [clientId, orgId, expiresAt, userId, version] = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()) as [string, string, number, string?, number?];
    if (typeof expiresAt !== 'number' || expiresAt <= now) return null;
    if (typeof userId !== 'string') return { clientId, orgId, expiresAt };
    return { clientId, orgId, expiresAt, userId, credentialsVersion: typeof version === 'number' ? version : 0 };
  } catch {
    return null;
  }
}

export function deriveKey(secret: Buffer, purpose: string): Buffer {
  return createHmac('sha256', secret).update(purpose).digest();
}
