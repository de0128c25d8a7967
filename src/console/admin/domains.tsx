import { Hono } from 'hono';
import { PERMISSIONS } from '../../auth/permissions.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, when } from '../form.js';
import { action, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { Back, Copyable, Table } from './parts.js';

// Sender domains: the DNS records to publish, each with a copy button, and the state of their
// last check (the same domain service as /api/v2/routing/email/outbound/domains).

const MANAGE = PERMISSIONS.routingEmailManage;
const HERE = '/console/admin/domains';
type DnsRow = { purpose: string; type: string; host: string; value: string; status: string; detail: string };

export function senderDomainsRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const { domains, consoleSessions } = services;

  r.get('/admin/domains', page(MANAGE), async (c) => {
    const list = await domains.listSenderDomains(c.get('principal').orgId);
    return render(
      c,
      { title: 'Sender domains', current: '/console/admin' },
      <>
        <h1>Sender domains</h1>
        <p>Mail is sent from these domains once their SPF and DKIM records are published and checked.</p>
        <form method="post" action={HERE} class="stack">
          <CsrfField token={c.get('session').csrfToken} />
          <label for="domain-id">Domain</label>
          <input id="domain-id" name="id" required maxlength={253} placeholder="notify.example.com" aria-describedby="domain-hint" />
          <p id="domain-hint" class="muted">
            A subdomain such as notify.example.com: its SPF and return-path records take over the name.
          </p>
          <button type="submit">Add</button>
        </form>
        <Table label="Sender domains" columns={['Domain', 'Status', 'Last checked']}>
          {list.map((d) => (
            <tr>
              <td>
                <a href={`${HERE}/${encodeURIComponent(d.id)}`}>{d.id}</a>
              </td>
              <td>{d.status}</td>
              <td>{when(d.dateChecked)}</td>
            </tr>
          ))}
        </Table>
        {list.length === 0 && <p class="muted">No sender domain yet.</p>}
      </>,
    );
  });

  r.post('/admin/domains', action(consoleSessions, MANAGE), async (c) => {
    const form = await formOf(c);
    const d = await domains.createSenderDomain(c.get('principal').orgId, typeof form.id === 'string' ? form.id : '');
    return redirectWith(c, `${HERE}/${encodeURIComponent(d.id)}`, `${d.id} was added: publish its records below, then check them.`);
  });

  r.get('/admin/domains/:id', page(MANAGE), async (c) => {
    const result = await domains.activation(c.get('principal').orgId, c.req.param('id'), false);
    const records = result.dnsRecords as DnsRow[];
    const base = `${HERE}/${encodeURIComponent(result.domainName)}`;
    return render(
      c,
      { title: result.domainName, current: '/console/admin' },
      <>
        <Back href={HERE} label="Sender domains" />
        <h1>{result.domainName}</h1>
        <dl class="facts">
          <dt>Status</dt>
          <dd data-domain-status>{result.senderStatus}</dd>
          <dt>Last checked</dt>
          <dd>{when(result.dateChecked)}</dd>
          <dt>DMARC</dt>
          <dd>{String(result.dmarcVerificationResult.status)}</dd>
        </dl>
        <form method="post" action={`${base}/check`}>
          <CsrfField token={c.get('session').csrfToken} />
          <button type="submit">Check the records now</button>
        </form>
        <h2 id="records">DNS records to publish</h2>
        <Table labelledBy="records" columns={['Purpose', 'Type', 'Name', 'Value', 'State']}>
          {records.map((rec, i) => (
            <tr data-record={rec.purpose}>
              <th scope="row">{rec.purpose}</th>
              <td>{rec.type}</td>
              <td>
                <Copyable id={`record-${i}-name`} text={rec.host} label={`Copy the ${rec.purpose} record's name`} />
              </td>
              <td>
                <Copyable id={`record-${i}-value`} text={rec.value} label={`Copy the ${rec.purpose} record's value`} />
              </td>
              <td>
                {rec.status}
                <br />
                <span class="muted">{rec.detail}</span>
              </td>
            </tr>
          ))}
        </Table>
        <h2>Remove</h2>
        <form method="post" action={`${base}/delete`}>
          <CsrfField token={c.get('session').csrfToken} />
          <button type="submit" class="secondary">
            Remove {result.domainName}
          </button>
        </form>
      </>,
    );
  });

  r.post('/admin/domains/:id/check', action(consoleSessions, MANAGE), async (c) => {
    const result = await domains.activation(c.get('principal').orgId, c.req.param('id'), true);
    return redirectWith(c, `${HERE}/${encodeURIComponent(result.domainName)}`, `Checked: ${result.domainName} is ${result.senderStatus}.`);
  });

  r.post('/admin/domains/:id/delete', action(consoleSessions, MANAGE), async (c) => {
    await domains.deleteSenderDomain(c.get('principal').orgId, c.req.param('id'));
    return redirectWith(c, HERE, `${c.req.param('id')} was removed.`);
  });
  return r;
}
