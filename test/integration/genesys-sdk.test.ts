import fs from 'node:fs';
import platformClient from 'purecloud-platform-client-v2';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { sendBody, startService, type TestService } from '../helpers/service.js';

// The published Genesys JS SDK as the client, unchanged: what a Genesys integrator's code does
// against threadline. The SDK is CommonJS and its module export is one object holding a
// singleton ApiClient (ApiClient.instance === ApiClient). The default import is the one that
// works everywhere: vitest's interop also resolves `import { ApiClient }`, but plain Node ESM
// refuses that with "Named export 'ApiClient' not found".
// The singleton holds one access token and one gateway: tests that log in as another client or
// talk to another service switch back afterwards, and this file's tests run in order.
const client = platformClient.ApiClient.instance;

let svc: TestService;
let conversations: InstanceType<typeof platformClient.ConversationsApi>;

beforeAll(async () => {
  svc = await startService({ THREADLINE_RATE_LIMIT_PER_MINUTE: '100000' });
  // Without this the SDK reads ~/.genesyscloudjavascript/config on import and polls it for
  // changes; a developer's file there could point the test at a real Genesys region.
  client.config.setConfigPath('');
  await connect(svc);
  conversations = new platformClient.ConversationsApi();
});

/** Points the SDK's singleton at a service and logs in as the given client. */
async function connect(to: TestService, clientId = to.init.clientId, secret = to.init.clientSecret) {
  client.setGateway({ host: '127.0.0.1', protocol: 'http', port: Number(new URL(to.url).port), path_params_login: '', path_params_api: '' });
  await client.loginClientCredentialsGrant(clientId, secret);
}

afterAll(async () => {
  // Leave no token in the process-wide singleton for whatever runs next in this worker.
  client.setAccessToken('');
  // startService() registers its own cleanup with afterAll, but called from beforeAll that
  // registration is ignored by vitest 4; stop the service and remove its folder here.
  await svc?.stop();
  if (svc) fs.rmSync(svc.dataDir, { recursive: true, force: true });
});

/** What the SDK rejects with on an HTTP error: the parsed response body itself, not an Error. */
async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the SDK call to reject');
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('the Genesys JS SDK against threadline', () => {
  it('logs in with client credentials and gets a bearer token', async () => {
    const auth = await client.loginClientCredentialsGrant(svc.init.clientId, svc.init.clientSecret);
    expect(auth.accessToken).toEqual(expect.any(String));
    expect(auth.tokenExpiryTime).toBeGreaterThan(Date.now());
  });

  it('sends an agentless email and reads it back', async () => {
    const body = sendBody(svc, { subject: 'SDK: your order has shipped', textBody: 'Sent through purecloud-platform-client-v2.' });
    const sent = await conversations.postConversationsEmailsAgentless(body);

    expect(sent).toMatchObject({
      id: expect.any(String),
      conversationId: expect.any(String),
      senderType: 'Outbound',
      fromAddress: { email: `notifications@${svc.init.senderDomain}`, name: 'Example Shop' },
      toAddresses: [{ email: 'customer@example.com', name: 'Pat Customer' }],
      subject: 'SDK: your order has shipped',
    });
    expect(sent.dateCreated).toMatch(ISO);
    expect(Math.abs(Date.parse(sent.dateCreated!) - Date.now())).toBeLessThan(60_000);
    expect(sent.selfUri).toBe(`/api/v2/conversations/emails/${sent.conversationId}/messages/${sent.id}`);

    const conversation = await conversations.getConversationsEmail(sent.conversationId!);
    expect(conversation.id).toBe(sent.conversationId);
    expect(conversation.selfUri).toBe(`/api/v2/conversations/emails/${sent.conversationId}`);

    const listing = await conversations.getConversationsEmailMessages(sent.conversationId!, { includeAgentlessStitchedMessages: true });
    expect(listing.entities).toHaveLength(1);
    expect(listing.entities![0]).toMatchObject({
      id: sent.id,
      subject: 'SDK: your order has shipped',
      from: { email: `notifications@${svc.init.senderDomain}` },
      to: [{ email: 'customer@example.com' }],
    });

    const message = await conversations.getConversationsEmailMessage(sent.conversationId!, sent.id!);
    expect(message).toMatchObject({
      id: sent.id,
      subject: 'SDK: your order has shipped',
      textBody: 'Sent through purecloud-platform-client-v2.',
      from: { email: `notifications@${svc.init.senderDomain}`, name: 'Example Shop' },
      to: [{ email: 'customer@example.com', name: 'Pat Customer' }],
    });
    expect(message.time).toMatch(ISO);
  });

  it("lists the organization's email conversations, newest first, through getConversationsEmails", async () => {
    const sent = await conversations.postConversationsEmailsAgentless(sendBody(svc, { subject: 'SDK: the newest conversation' }));
    const listing = await conversations.getConversationsEmails();
    expect(listing.entities![0]).toMatchObject({ id: sent.conversationId, name: 'SDK: the newest conversation' });
  });

  it('links a second send into the same conversation with conversationId', async () => {
    const first = await conversations.postConversationsEmailsAgentless(sendBody(svc, { subject: 'Ticket 4711 opened' }));
    const second = await conversations.postConversationsEmailsAgentless(
      sendBody(svc, { conversationId: first.conversationId, subject: 'Ticket 4711 update', textBody: 'A technician is on the way.' }),
    );
    expect(second.conversationId).toBe(first.conversationId);
    expect(second.id).not.toBe(first.id);

    const all = await conversations.getConversationsEmailMessages(first.conversationId!, { includeAgentlessStitchedMessages: true });
    expect(all.entities!.map((m) => [m.id, m.subject])).toEqual([
      [first.id, 'Ticket 4711 opened'],
      [second.id, 'Ticket 4711 update'],
    ]);
    // Without the flag, the stitched agentless message is left out (Genesys's default).
    const plain = await conversations.getConversationsEmailMessages(first.conversationId!);
    expect(plain.entities!.map((m) => m.id)).toEqual([first.id]);

    const stitched = await conversations.getConversationsEmailMessage(first.conversationId!, second.id!);
    expect(stitched.textBody).toBe('A technician is on the way.');
  });

  it('rejects a send with two recipients with the Genesys error body', async () => {
    const body = sendBody(svc, { toAddresses: [{ email: 'one@example.com' }, { email: 'two@example.com' }] });
    const err = await rejection(conversations.postConversationsEmailsAgentless(body));
    // The SDK hands back the response body as the rejection value, not an Error instance.
    expect(err).not.toBeInstanceOf(Error);
    expect(err).toMatchObject({
      status: 400,
      code: 'bad.request',
      message: expect.stringMatching(/recipient|toAddresses/i),
      messageParams: {},
      contextId: expect.any(String),
      details: [{ errorCode: expect.any(String), fieldName: 'toAddresses' }],
      errors: [],
    });
  });

  it('with extended responses, an error carries the status and headers as well', async () => {
    client.setReturnExtendedResponses(true);
    try {
      const err = await rejection(conversations.postConversationsEmailsAgentless(sendBody(svc, { subject: 's'.repeat(401) })));
      expect(err.status).toBe(400);
      expect(err.headers['content-type']).toMatch(/application\/json/);
      expect(err.body.details[0].fieldName).toBe('subject');
      expect(err.error).toBeInstanceOf(Error);
    } finally {
      client.setReturnExtendedResponses(false);
    }
  });

  it('answers a client without the send permission with 403, and lets it read', async () => {
    const sent = await conversations.postConversationsEmailsAgentless(sendBody(svc, { subject: 'For the viewer' }));
    const created = await svc.api('POST', '/api/v2/oauth/clients', { body: { name: 'viewer', permissions: ['conversation:email:view'] } });
    expect(created.status).toBe(200);

    await client.loginClientCredentialsGrant(created.body.id, created.body.secret);
    try {
      const err = await rejection(conversations.postConversationsEmailsAgentless(sendBody(svc)));
      expect(err).toMatchObject({
        status: 403,
        code: 'missing.any.permissions',
        message: expect.stringContaining('conversation:agentlessEmail:send'),
        contextId: expect.any(String),
        errors: [],
      });
      const message = await conversations.getConversationsEmailMessage(sent.conversationId!, sent.id!);
      expect(message.subject).toBe('For the viewer');
    } finally {
      await client.loginClientCredentialsGrant(svc.init.clientId, svc.init.clientSecret);
    }
  });

  it('fails a login with a wrong secret with the HTTP client error, not the body', async () => {
    const err = await rejection(client.loginClientCredentialsGrant(svc.init.clientId, 'not-the-secret'));
    // Unlike API calls, the login rejects with axios's error; the Genesys body is inside it.
    expect(err).toBeInstanceOf(Error);
    expect(err.response.status).toBe(401);
    expect(err.response.data).toMatchObject({ status: 401, contextId: expect.any(String) });
    // The failed login does not clear the token the SDK already holds.
    const conversation = await rejection(conversations.getConversationsEmail('00000000-0000-7000-8000-000000000000'));
    expect(conversation.status).toBe(404);
  });

  it('answers an unknown message with 404 in the Genesys body', async () => {
    const sent = await conversations.postConversationsEmailsAgentless(sendBody(svc));
    const err = await rejection(conversations.getConversationsEmailMessage(sent.conversationId!, '00000000-0000-7000-8000-000000000000'));
    expect(err).toMatchObject({ status: 404, code: 'not.found', contextId: expect.any(String), errors: [] });
  });

  it('gets a 429 with Retry-After past the organization limit; the SDK does not retry it', async () => {
    const limited = await startService({ THREADLINE_RATE_LIMIT_PER_MINUTE: '2' });
    onTestFinished(async () => {
      // startService's own afterAll is not registered from inside a test; clean up here.
      await limited.stop();
      fs.rmSync(limited.dataDir, { recursive: true, force: true });
      await connect(svc);
    });
    await connect(limited);
    await conversations.postConversationsEmailsAgentless(sendBody(limited));
    await conversations.postConversationsEmailsAgentless(sendBody(limited));

    const err = await rejection(conversations.postConversationsEmailsAgentless(sendBody(limited)));
    expect(err).toMatchObject({ status: 429, code: 'too.many.requests.retry.after', contextId: expect.any(String), errors: [] });

    client.setReturnExtendedResponses(true);
    try {
      const extended = await rejection(conversations.postConversationsEmailsAgentless(sendBody(limited)));
      expect(extended.status).toBe(429);
      // Whole seconds; the two-window estimate (sliding-window.ts) can ask for up to two minutes.
      const retryAfter = Number(extended.headers['retry-after']);
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 120, `Retry-After: ${extended.headers['retry-after']}`).toBe(true);
    } finally {
      client.setReturnExtendedResponses(false);
    }
  });
});
