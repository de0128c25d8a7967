import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { hasAnyPermission, PERMISSIONS as P } from '../../auth/permissions.js';
import { BODY_LIMITS } from '../../http/body-limit.js';
import { checkKey, requestHash } from '../../idempotency/idempotency.service.js';
import { CONFIGURATION_EDIT, CONFIGURATION_VIEW, ConfigurationInputSchema } from '../../outbound-config/configurations.routes.js';
import type { ContactResult } from '../../outbound-config/invoke.service.js';
import { SCHEDULE_VIEW } from '../../schedules/schedules.routes.js';
import type { ConsoleContext, ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid } from '../form.js';
import { action, actionTaking, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { contactsFromCsv } from './contacts.js';
import { Back, Table } from './parts.js';
import { schedulesSection } from './schedules.js';

// Outbound configurations (template, sender, where replies go) and an invocation by hand with
// a contact list, each contact's result shown (the same configurations and invoke services as
// /api/v2/outbound/configurations and its invoke route).

export const OUTBOUND = '/console/admin/outbound';
const link = (id: string) => `${OUTBOUND}/${encodeURIComponent(id)}`;
export const CONTACTS_HINT = 'CSV, its first line naming the columns: tocontactid,optin,locale and any placeholder key (CustomerName, CaseName …).';

const Results = (props: { results: ContactResult[] }) => (
  <Table label="Each contact's result" columns={['Contact', 'Result', 'Message']}>
    {props.results.map((r) => (
      <tr data-contact={r.tocontactid}>
        <td>{r.tocontactid}</td>
        <td>{r.status === 'queued' ? 'queued' : `skipped: ${r.reason ?? ''}${r.missing?.length ? ` (${r.missing.join(', ')})` : ''}`}</td>
        <td>{r.messageId ?? '—'}</td>
      </tr>
    ))}
  </Table>
);

export function outboundRoutes(deps: ConsoleDeps) {
  const { services, render } = deps;
  const r = new Hono<ConsoleEnv>();
  const { configurations, templates, queues, invoke, consoleSessions } = services;

  r.get('/admin/outbound', page(...CONFIGURATION_VIEW), async (c) => {
    const orgId = c.get('principal').orgId;
    const [list, templateList, queueList] = await Promise.all([configurations.list(orgId), templates.list(orgId), queues.list(orgId)]);
    const templateName = new Map(templateList.map((t) => [t.id, t.name]));
    return render(
      c,
      { title: 'Outbound configurations', current: '/console/admin' },
      <>
        <h1>Outbound configurations</h1>
        <ul>
          {list.map((cfg) => (
            <li>
              <a href={link(cfg.id)}>{cfg.name}</a>{' '}
              <span class="muted">
                {templateName.get(cfg.templateId) ?? cfg.templateId}, from {cfg.fromAddress.email}
              </span>
            </li>
          ))}
        </ul>
        {list.length === 0 && <p class="muted">No configuration yet.</p>}
        <h2>Add a configuration</h2>
        <form method="post" action={OUTBOUND} class="stack">
          <CsrfField token={c.get('session').csrfToken} />
          <label for="cfg-name">Configuration name</label>
          <input id="cfg-name" name="name" required maxlength={200} />
          <label for="cfg-template">Template</label>
          <select id="cfg-template" name="templateId" required>
            {templateList.map((t) => (
              <option value={t.id}>{t.name}</option>
            ))}
          </select>
          <label for="cfg-from">From address (on a sender domain)</label>
          <input id="cfg-from" name="fromEmail" type="email" required />
          <label for="cfg-from-name">From name</label>
          <input id="cfg-from-name" name="fromName" maxlength={200} />
          <label for="cfg-record">List the conversation</label>
          <select id="cfg-record" name="conversationRecord">
            <option value="onSend">once sent</option>
            <option value="onResponse">once the customer replies</option>
          </select>
          <label for="cfg-queue">Replies go to</label>
          <select id="cfg-queue" name="queueId">
            <option value="">the inbound route of the reply address</option>
            {queueList.map((q) => (
              <option value={q.id}>{q.name}</option>
            ))}
          </select>
          <div>
            <input type="checkbox" id="cfg-timeline" name="showInTimeline" value="true" />
            <label for="cfg-timeline">Show in the Dynamics timeline</label>
          </div>
          <button type="submit">Add the configuration</button>
        </form>
      </>,
    );
  });

  r.post('/admin/outbound', action(consoleSessions, ...CONFIGURATION_EDIT), async (c) => {
    const f = await formOf(c);
    const input = valid(ConfigurationInputSchema, {
      name: f.name,
      channelType: 'email',
      fromAddress: { email: f.fromEmail, ...(f.fromName ? { name: f.fromName } : {}) },
      templateId: f.templateId,
      showInTimeline: f.showInTimeline === 'true',
      conversationRecord: f.conversationRecord,
      ...(f.queueId ? { queueId: f.queueId } : {}),
    });
    const cfg = await configurations.create(c.get('principal').orgId, input);
    return redirectWith(c, link(cfg.id), `The configuration ${cfg.name} was added.`);
  });

  const detail = async (c: ConsoleContext, results?: ContactResult[], contacts = '') => {
    const p = c.get('principal');
    const cfg = await configurations.get(p.orgId, c.req.param('id') ?? '');
    const template = await templates.get(p.orgId, cfg.templateId);
    const scheduled = hasAnyPermission(p.permissions, SCHEDULE_VIEW) ? await schedulesSection(c, deps, cfg.id) : null;
    return render(
      c,
      { title: cfg.name, current: '/console/admin' },
      <>
        <Back href={OUTBOUND} label="Outbound configurations" />
        <h1>{cfg.name}</h1>
        <dl class="facts">
          <dt>Template</dt>
          <dd>
            <a href={`/console/admin/templates/${encodeURIComponent(template.id)}`}>{template.name}</a>
          </dd>
          <dt>From</dt>
          <dd>{cfg.fromAddress.name ? `${cfg.fromAddress.name} <${cfg.fromAddress.email}>` : cfg.fromAddress.email}</dd>
          <dt>Conversation listed</dt>
          <dd>{cfg.conversationRecord === 'onSend' ? 'once sent' : 'once the customer replies'}</dd>
        </dl>
        {results && (
          <>
            <h2 id="results">Sent just now</h2>
            <Results results={results} />
          </>
        )}
        {hasAnyPermission(p.permissions, [P.outboundConfigurationInvoke]) && (
          <>
            <h2>Send to a contact list</h2>
            <form method="post" action={`${link(cfg.id)}/invoke`} class="stack">
              <CsrfField token={c.get('session').csrfToken} />
              {/* One key per form shown: a second submit of the same form (a double click, a reload) answers with the first one's results instead of sending again. */}
              <input type="hidden" name="idempotencyKey" value={`console-${randomUUID()}`} />
              <label for="invoke-contacts">Contacts</label>
              <textarea id="invoke-contacts" name="contacts" rows={6} required aria-describedby="invoke-hint">
                {contacts}
              </textarea>
              <p id="invoke-hint" class="muted">
                {CONTACTS_HINT}
              </p>
              <button type="submit">Send now</button>
            </form>
          </>
        )}
        {scheduled}
      </>,
    );
  };

  r.get('/admin/outbound/:id', page(...CONFIGURATION_VIEW), (c) => detail(c));

  r.post('/admin/outbound/:id/invoke', actionTaking(BODY_LIMITS.template, consoleSessions, P.outboundConfigurationInvoke), async (c) => {
    const form = await formOf(c);
    const text = typeof form.contacts === 'string' ? form.contacts : '';
    const id = c.req.param('id');
    const contactList = contactsFromCsv(text, id);
    const key = typeof form.idempotencyKey === 'string' ? form.idempotencyKey : undefined;
    const idem = key === undefined ? null : { key: checkKey(key), hash: requestHash('POST', c.req.path, JSON.stringify({ contactList })) };
    const result = await invoke.invoke(c.get('principal').orgId, id, contactList, idem);
    return detail(c, result.body.results, text);
  });
  return r;
}
