import { Hono } from 'hono';
import { hasAnyPermission } from '../../auth/permissions.js';
import { BODY_LIMITS } from '../../http/body-limit.js';
import { SCHEDULE_EDIT, ScheduleInputSchema } from '../../schedules/schedules.routes.js';
import type { ConsoleContext, ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid, when } from '../form.js';
import { action, actionTaking } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { contactsFromCsv } from './contacts.js';
import { RowAction, Table } from './parts.js';

// A configuration's schedules: sends at a later time or on a cron, listed, created and
// cancelled on the configuration's page (the same schedules service as /api/v2/outbound/schedules).

const OUTBOUND = '/console/admin/outbound';
/** The schedules looked through for one configuration's. */
const LISTED = 100;

/** The schedules section of a configuration's page (those with the view permission see it). */
export async function schedulesSection(c: ConsoleContext, { services }: ConsoleDeps, configurationId: string) {
  const p = c.get('principal');
  const { entities } = await services.schedules.list(p.orgId, { pageSize: LISTED, pageNumber: 1 });
  const mine = entities.filter((s) => s.configurationId === configurationId);
  const canEdit = hasAnyPermission(p.permissions, SCHEDULE_EDIT);
  const token = c.get('session').csrfToken;
  return (
    <>
      <h2 id="schedules">Schedules</h2>
      <Table labelledBy="schedules" columns={['When', 'State', 'Next run', 'Contacts', canEdit && 'Action']}>
        {mine.map((s) => (
          <tr data-schedule={s.id}>
            <td>{s.cron ? `${s.cron} (${s.timeZone ?? 'UTC'})` : 'once'}</td>
            <td>
              {s.state}
              {s.lastError ? `: ${s.lastError}` : ''}
            </td>
            <td>{when(s.nextRunAt)}</td>
            <td>{s.contactCount}</td>
            {canEdit && (
              <td>
                {s.state === 'active' && (
                  <RowAction
                    action={`/console/admin/schedules/${encodeURIComponent(s.id)}/cancel`}
                    token={token}
                    label="Cancel"
                    name={`Cancel the schedule ${s.id}`}
                    fields={{ configurationId: configurationId }}
                  />
                )}
              </td>
            )}
          </tr>
        ))}
      </Table>
      {canEdit && (
        <form method="post" action={`${OUTBOUND}/${encodeURIComponent(configurationId)}/schedules`} class="stack">
          <CsrfField token={token} />
          <label for="sch-run-at">Send once at (ISO 8601 with its offset, such as 2027-03-28T09:00:00+03:00)</label>
          <input id="sch-run-at" name="runAt" maxlength={64} />
          <label for="sch-cron">Or repeat on (five cron fields, such as 30 2 * * *)</label>
          <input id="sch-cron" name="cron" maxlength={200} />
          <label for="sch-zone">Time zone of the cron (default UTC)</label>
          <input id="sch-zone" name="timeZone" maxlength={100} placeholder="Europe/Helsinki" />
          <label for="sch-contacts">Contacts to schedule</label>
          <textarea id="sch-contacts" name="contacts" rows={4} required />
          <button type="submit">Schedule</button>
        </form>
      )}
    </>
  );
}

export function schedulesRoutes({ services }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const { schedules, consoleSessions } = services;

  r.post('/admin/outbound/:id/schedules', actionTaking(BODY_LIMITS.template, consoleSessions, ...SCHEDULE_EDIT), async (c) => {
    const { contacts, ...timing } = await formOf(c);
    const configurationId = c.req.param('id');
    const contactList = contactsFromCsv(typeof contacts === 'string' ? contacts : '', configurationId);
    const input = valid(ScheduleInputSchema, { configurationId, contactList, ...timing });
    const made = await schedules.create(c.get('principal').orgId, input);
    return redirectWith(c, `${OUTBOUND}/${encodeURIComponent(configurationId)}#schedules`, `Scheduled: first run ${when(made.nextRunAt)}.`);
  });

  r.post('/admin/schedules/:id/cancel', action(consoleSessions, ...SCHEDULE_EDIT), async (c) => {
    const form = await formOf(c);
    await schedules.cancel(c.get('principal').orgId, c.req.param('id'));
    const back = typeof form.configurationId === 'string' ? `${OUTBOUND}/${encodeURIComponent(form.configurationId)}#schedules` : OUTBOUND;
    return redirectWith(c, back, 'The schedule was cancelled.');
  });
  return r;
}
