import { createHmac, randomBytes } from 'node:crypto';

// The Standard Webhooks scheme (https://www.standardwebhooks.com): `whsec_` and the key in
// base64; the signature is `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`.

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The `webhook-signature` value: one signature per secret, space-separated (receivers accept any that verifies). */
export const signatureHeader = (secrets: readonly string[], id: string, timestampSeconds: number, body: string) => secrets.map((s) => sign(s, id, timestampSeconds, body)).join(' ');
