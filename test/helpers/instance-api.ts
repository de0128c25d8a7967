import { type Served, serve } from './child-service.js';
import { tempDir } from './service.js';

// The HTTP calls tests make to threadline processes they started (child-service.ts).

/** One API call with a bearer token; the body parsed as JSON. */
export async function call(inst: Served, method: string, p: string, token: string, body?: unknown) {
  const res = await fetch(`${inst.url}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A token of the client credentials grant, or of another grant given in `extra`. */
export async function token(inst: Served, clientId: string, secret: string, extra: Record<string, string> = {}) {
  const res = await fetch(`${inst.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...extra }).toString(),
  });
  if (res.status !== 200) throw new Error(`token ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The admin client that the first instance to start on an empty database created (it logs the secret once). */
export function firstStartClient(instances: Served[]) {
  const creds = instances.flatMap((i) =>
    i
      .output()
      .split('\n')
      .filter((x) => x.includes('clientSecretOnce')),
  );
  if (!creds[0]) throw new Error('no instance logged the client it created at first start (THREADLINE_LOG_LEVEL above warn?)');
  return { count: creds.length, ...(JSON.parse(creds[0]) as { clientId: string; clientSecretOnce: string }) };
}

/**
 * Two threadline processes on one database (`vars` names it), each with a data folder of its
 * own, both started on the empty database at once; a token for each of the admin client the
 * first start created, and the organization's send limit lifted for load.
 */
export async function twoInstances(vars: Record<string, string>) {
  const instances = await Promise.all([serve({ ...vars, THREADLINE_DATA_DIR: tempDir() }, 60_000), serve({ ...vars, THREADLINE_DATA_DIR: tempDir() }, 60_000)]);
  const { clientId, clientSecretOnce } = firstStartClient(instances);
  const tokens = await Promise.all(instances.map((i) => token(i, clientId, clientSecretOnce)));
  await call(instances[0]!, 'PATCH', '/api/v2/organizations/me', tokens[0]!, { agentlessEmailRateLimitPerMinute: 1_000_000 });
  return { instances, tokens };
}
