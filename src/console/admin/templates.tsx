import { Hono } from 'hono';
import { AppError } from '../../errors.js';
import { BODY_LIMITS } from '../../http/body-limit.js';
import type { Rendered } from '../../templates/template.model.js';
import { PreviewSchema, TEMPLATE_EDIT, TEMPLATE_VIEW, TemplateInputSchema } from '../../templates/templates.routes.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid } from '../form.js';
import { actionTaking, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { Back } from './parts.js';

// Message templates: each localization with a preview rendered for sample values (the same
// templates service as /api/v2/outbound/templates and its preview). A preview changes nothing,
// so it is a GET; rendered HTML is shown as its source, never run in the console's page.

const HERE = '/console/admin/templates';
const link = (id: string) => `${HERE}/${encodeURIComponent(id)}`;

/** Sample values typed one a line, `Key: value` or `Key=value`. */
export function sampleValues(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.search(/[:=]/);
    if (at > 0) values[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return values;
}

/** A localization's fields: as written, or (`preview`) rendered for sample values. */
const Fields = (props: { rendered: Rendered; preview?: boolean }) => (
  <dl class="facts" data-preview={props.preview ? props.rendered.locale : undefined}>
    <dt>Subject</dt>
    <dd>{props.rendered.subject}</dd>
    <dt>Text</dt>
    <dd>
      <pre>{props.rendered.textBody ?? '—'}</pre>
    </dd>
    <dt>HTML (source)</dt>
    <dd>
      <pre>{props.rendered.htmlBody ?? '—'}</pre>
    </dd>
  </dl>
);

export function templatesRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const { templates, consoleSessions } = services;

  r.get('/admin/templates', page(...TEMPLATE_VIEW), async (c) => {
    const list = await templates.list(c.get('principal').orgId);
    return render(
      c,
      { title: 'Templates', current: '/console/admin' },
      <>
        <h1>Message templates</h1>
        <ul>
          {list.map((t) => (
            <li>
              <a href={link(t.id)}>{t.name}</a> <span class="muted">{t.localizations.map((l) => l.locale).join(', ')}</span>
            </li>
          ))}
        </ul>
        {list.length === 0 && <p class="muted">No template yet.</p>}
        <h2>Add a template</h2>
        <p class="muted">
          Placeholders: {'{CustomerName}'}, {'{CaseName|your case}'} (a default), {'{FullName{Customer}}'}. More languages can be added through the API.
        </p>
        <form method="post" action={HERE} class="stack">
          <CsrfField token={c.get('session').csrfToken} />
          <label for="t-name">Template name</label>
          <input id="t-name" name="name" required maxlength={200} />
          <label for="t-locale">Language (such as en or fi-FI)</label>
          <input id="t-locale" name="locale" required maxlength={100} value="en" />
          <label for="t-subject">Subject</label>
          <input id="t-subject" name="subject" required maxlength={2000} />
          <label for="t-text">Text body</label>
          <textarea id="t-text" name="textBody" rows={6} />
          <label for="t-html">HTML body</label>
          <textarea id="t-html" name="htmlBody" rows={6} />
          <button type="submit">Add the template</button>
        </form>
      </>,
    );
  });

  r.post('/admin/templates', actionTaking(BODY_LIMITS.template, consoleSessions, ...TEMPLATE_EDIT), async (c) => {
    const { name, locale, subject, textBody, htmlBody } = await formOf(c);
    const input = valid(TemplateInputSchema, { name, channel: 'email', defaultLocale: locale, localizations: [{ locale, subject, textBody, htmlBody }] });
    const t = await templates.create(c.get('principal').orgId, input);
    return redirectWith(c, link(t.id), `The template ${t.name} was added.`);
  });

  r.get('/admin/templates/:id', page(...TEMPLATE_VIEW), async (c) => {
    const orgId = c.get('principal').orgId;
    const t = await templates.get(orgId, c.req.param('id'));
    const asked = c.req.query('preview');
    const sample = c.req.query('values') ?? '';
    let shown: { locale: string; rendered?: Rendered; error?: string } | undefined;
    if (asked !== undefined) {
      const body = valid(PreviewSchema, { locale: asked, values: sampleValues(sample) });
      try {
        shown = { locale: asked, rendered: await templates.preview(orgId, t.id, body.locale, body.values) };
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 400) throw err;
        shown = { locale: asked, error: err.message };
      }
    }
    return render(
      c,
      { title: t.name, current: '/console/admin' },
      <>
        <Back href={HERE} label="Templates" />
        <h1>{t.name}</h1>
        <p>Default language: {t.defaultLocale}</p>
        {t.localizations.map((l) => (
          <section aria-labelledby={`loc-${l.locale}`}>
            <h2 id={`loc-${l.locale}`}>{l.locale}</h2>
            <details>
              <summary>As written</summary>
              <Fields rendered={{ locale: l.locale, subject: l.subject, textBody: l.textBody ?? null, htmlBody: l.htmlBody ?? null }} />
            </details>
            <form method="get" action={`${link(t.id)}#loc-${l.locale}`} class="stack">
              <input type="hidden" name="preview" value={l.locale} />
              <label for={`values-${l.locale}`}>Sample values for {l.locale} (one a line, Key: value)</label>
              <textarea id={`values-${l.locale}`} name="values" rows={3}>
                {shown?.locale === l.locale ? sample : ''}
              </textarea>
              <button type="submit">Preview {l.locale}</button>
            </form>
            {shown?.locale === l.locale && shown.error && (
              <p class="flash error" role="alert" data-error>
                {shown.error}
              </p>
            )}
            {shown?.locale === l.locale && shown.rendered && (
              <>
                <h3>Preview</h3>
                <Fields rendered={shown.rendered} preview />
              </>
            )}
          </section>
        ))}
      </>,
    );
  });
  return r;
}
