import { beforeAll, describe, expect, it } from 'vitest';
import { configuration, template } from '../helpers/outbound.js';
import { startService, type TestService } from '../helpers/service.js';

// Templates and outbound configurations through the API: what an administrator sets up once,
// before systems invoke configurations with contact lists (outbound-invoke.test.ts).

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});

const fieldOf = (res: { body: any }) => res.body.details?.[0]?.fieldName;

describe('templates', () => {
  it('are created, listed, read, replaced and deleted, locales in canonical form', async () => {
    const created = await svc.api('POST', '/api/v2/outbound/templates', { body: template() });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.localizations.map((l: { locale: string }) => l.locale)).toEqual(['en', 'fr', 'fi-FI']);
    const id = created.body.id;
    expect((await svc.api('GET', `/api/v2/outbound/templates/${id}`)).body).toEqual(created.body);
    expect((await svc.api('GET', '/api/v2/outbound/templates')).body.entities.map((t: { id: string }) => t.id)).toContain(id);
    const put = await svc.api('PUT', `/api/v2/outbound/templates/${id}`, { body: template({ name: 'Renamed', defaultLocale: 'FR' }) });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id, name: 'Renamed', defaultLocale: 'fr' });
    expect((await svc.api('DELETE', `/api/v2/outbound/templates/${id}`)).status).toBe(204);
    expect((await svc.api('GET', `/api/v2/outbound/templates/${id}`)).status).toBe(404);
  });

  it.each([
    [{ localizations: [{ locale: 'en', subject: 'Hi {CustomerName', textBody: 'x' }] }, 'localizations[0].subject', /subject \(en\): the placeholder at character 4 is not closed/],
    [
      {
        localizations: [
          { locale: 'en', subject: 'ok', textBody: 'x' },
          { locale: 'fr', subject: 'ok', htmlBody: '<p>{Nom{}}</p>' },
        ],
      },
      'localizations[1].htmlBody',
      /htmlBody \(fr\): the slug at character 4 must read/,
    ],
    [{ localizations: [{ locale: 'en_US!', subject: 'x', textBody: 'x' }] }, 'localizations[0].locale', /BCP 47/],
    [
      {
        localizations: [
          { locale: 'en', subject: 'x', textBody: 'x' },
          { locale: 'EN', subject: 'y', textBody: 'y' },
        ],
      },
      'localizations[1].locale',
      /twice/,
    ],
    [{ defaultLocale: 'de' }, 'defaultLocale', /must be the locale of one of the localizations/],
    [{ localizations: [{ locale: 'en', subject: 'a\r\nBcc: x@example.com', textBody: 'x' }] }, 'localizations[0].subject', /CR or LF/],
    [{ localizations: [{ locale: 'en', subject: 'x' }] }, 'localizations[0].textBody', /needs a textBody or an htmlBody/],
    [{ localizations: [] }, 'localizations', /at least one/],
    [{ channel: 'sms' }, 'channel', /./],
    [{ localizations: [{ locale: 'en', subject: 'x', textBody: 'y'.repeat(600 * 1024) }] }, 'localizations', /at most 524288/],
  ])('refuse %#: a 400 naming the field', async (overrides, field, message) => {
    const res = await svc.api('POST', '/api/v2/outbound/templates', { body: template(overrides) });
    expect(res.status).toBe(400);
    expect(fieldOf(res)).toBe(field);
    expect(res.body.message).toMatch(message);
  });

  it('preview: the locale chain, HTML escaping, one-line subjects, defaults and every missing value', async () => {
    const id = (await svc.api('POST', '/api/v2/outbound/templates', { body: template() })).body.id;
    const preview = (body: unknown) => svc.api('POST', `/api/v2/outbound/templates/${id}/preview`, { body });
    const values = { CustomerName: 'Pat <script>', CaseName: 'CAS-1' };
    expect((await preview({ locale: 'fi-FI', values })).body).toEqual({ locale: 'fi-FI', subject: 'Palvelupyyntö CAS-1 vastaanotettu', textBody: 'Hei Pat <script>', htmlBody: null });
    expect((await preview({ locale: 'fr-CA', values })).body.locale).toBe('fr');
    expect((await preview({ locale: 'de-DE', values })).body).toEqual({
      locale: 'en',
      subject: 'Case CAS-1 received',
      textBody: 'Hello Pat <script>, we got CAS-1.',
      htmlBody: '<p>Hello Pat &lt;script&gt;</p>',
    });
    expect((await preview({ values: { ...values, CaseName: 'A\r\nBcc: victim@example.com' } })).body.subject).toBe('Case A Bcc: victim@example.com received');

    const missing = await preview({ values: { CaseName: 'CAS-1' } });
    // CustomerName has a default in the text; the HTML's slug has none.
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/No value for \{FullName\{Customer\}\}/);
    const none = await preview({ values: {} });
    expect(none.body.details.map((d: { entityName: string }) => d.entityName)).toEqual(['{CaseName}', '{FullName{Customer}}']);
  });
});

describe('outbound configurations', () => {
  const config = (templateId: string, overrides: Record<string, unknown> = {}) => configuration(svc.init.senderDomain, templateId, overrides);

  it('are created, read, replaced and deleted; a template in use cannot be deleted', async () => {
    const templateId = (await svc.api('POST', '/api/v2/outbound/templates', { body: template() })).body.id;
    const queueId = (await svc.api('POST', '/api/v2/routing/queues', { body: { name: 'Outbound replies' } })).body.id;
    const created = await svc.api('POST', '/api/v2/outbound/configurations', { body: config(templateId, { queueId }) });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({
      templateId,
      queueId,
      conversationRecord: 'onSend',
      showInTimeline: true,
      fromAddress: { email: `support@${svc.init.senderDomain}`, name: 'Support' },
    });
    const id = created.body.id;
    const put = await svc.api('PUT', `/api/v2/outbound/configurations/${id}`, { body: config(templateId, { conversationRecord: 'onResponse', showInTimeline: false }) });
    expect(put.body).toMatchObject({ id, conversationRecord: 'onResponse', showInTimeline: false });
    expect(put.body.queueId).toBeUndefined();
    expect((await svc.api('GET', '/api/v2/outbound/configurations')).body.entities.map((c: { id: string }) => c.id)).toContain(id);

    const inUse = await svc.api('DELETE', `/api/v2/outbound/templates/${templateId}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.code).toBe('template.in.use');
    expect(inUse.body.message).toContain(id);
    expect((await svc.api('DELETE', `/api/v2/outbound/configurations/${id}`)).status).toBe(204);
    expect((await svc.api('GET', `/api/v2/outbound/configurations/${id}`)).status).toBe(404);
    expect((await svc.api('DELETE', `/api/v2/outbound/templates/${templateId}`)).status).toBe(204);
  });

  it('refuse references outside the organization, naming the field', async () => {
    const templateId = (await svc.api('POST', '/api/v2/outbound/templates', { body: template() })).body.id;
    const other = await svc.api('POST', '/api/v2/outbound/configurations', { body: config('01a20000-0000-7000-8000-000000000000') });
    expect([other.status, fieldOf(other)]).toEqual([400, 'templateId']);
    const queue = await svc.api('POST', '/api/v2/outbound/configurations', { body: config(templateId, { queueId: '01a20000-0000-7000-8000-000000000000' }) });
    expect([queue.status, fieldOf(queue)]).toEqual([400, 'queueId']);
    const from = await svc.api('POST', '/api/v2/outbound/configurations', { body: config(templateId, { fromAddress: { email: 'support@not-ours.example.com' } }) });
    expect([from.status, fieldOf(from)]).toEqual([400, 'fromAddress.email']);
    const bad = await svc.api('POST', '/api/v2/outbound/configurations', { body: config(templateId, { conversationRecord: 'never' }) });
    expect([bad.status, fieldOf(bad)]).toEqual([400, 'conversationRecord']);
  });
});
