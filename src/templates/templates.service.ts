import type { Clock } from '../clock.js';
import type { Db, Executor, OutboundTemplatesTable } from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { checkTemplate, MissingValues, type Rendered, renderTemplate, type TemplateInput, valueMap } from './template.model.js';
import * as repo from './templates.repo.js';

export interface TemplateView extends TemplateInput {
  id: string;
  dateCreated: string;
  dateModified: string;
  selfUri: string;
}

const model = (row: OutboundTemplatesTable): TemplateInput => ({
  name: row.name,
  channel: 'email',
  defaultLocale: row.default_locale,
  localizations: JSON.parse(row.localizations),
});

const view = (row: OutboundTemplatesTable): TemplateView => ({
  id: row.id,
  ...model(row),
  dateCreated: new Date(Number(row.created_at)).toISOString(),
  dateModified: new Date(Number(row.updated_at)).toISOString(),
  selfUri: `/api/v2/outbound/templates/${row.id}`,
});

/** Who uses a template: the configurations area answers, so that a template in use is not deleted. */
export type TemplateUsers = (ex: Executor, orgId: string, templateId: string) => Promise<Array<{ id: string; name: string }>>;

export type TemplatesService = ReturnType<typeof createTemplatesService>;

export function createTemplatesService({ db, clock, usersOf }: { db: Db; clock: Clock; usersOf: TemplateUsers }) {
  async function row(ex: Executor, orgId: string, id: string) {
    const r = await repo.findTemplate(ex, orgId, id);
    if (!r) throw notFound(`Template ${id}`);
    return r;
  }

  return {
    async create(orgId: string, input: TemplateInput): Promise<TemplateView> {
      const t = checkTemplate(input);
      const now = clock.now();
      const r: OutboundTemplatesTable = {
        id: newId(now),
        org_id: orgId,
        name: t.name,
        channel: t.channel,
        default_locale: t.defaultLocale,
        localizations: JSON.stringify(t.localizations),
        created_at: now,
        updated_at: now,
      };
      await repo.insertTemplate(db, r);
      return view(r);
    },
    list: async (orgId: string) => (await repo.listTemplates(db, orgId)).map(view),
    get: async (orgId: string, id: string) => view(await row(db, orgId, id)),

    async update(orgId: string, id: string, input: TemplateInput): Promise<TemplateView> {
      const t = checkTemplate(input);
      const set = { name: t.name, channel: t.channel, default_locale: t.defaultLocale, localizations: JSON.stringify(t.localizations), updated_at: clock.now() };
      const res = await repo.updateTemplate(db, orgId, id, set);
      if (Number(res.numUpdatedRows) === 0) throw notFound(`Template ${id}`);
      return view(await row(db, orgId, id));
    },

    async remove(orgId: string, id: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await row(trx, orgId, id);
        const users = await usersOf(trx, orgId, id);
        if (users.length > 0) {
          const names = users.map((u) => `"${u.name}" (${u.id})`).join(', ');
          throw new AppError(
            409,
            'template.in.use',
            `Template ${id} is used by the outbound configurations ${names}; point them at another template or delete them first.`,
            users.map((u) => ({ errorCode: 'template.in.use', entityId: u.id, entityName: u.name })),
          );
        }
        await repo.deleteTemplate(trx, orgId, id);
      });
    },

    /** The template as the invocation's transaction sees it. */
    async load(ex: Executor, orgId: string, id: string): Promise<TemplateInput> {
      return model(await row(ex, orgId, id));
    },

    /** What a contact with `values` would receive; a missing value is a 400 listing all of them. */
    async preview(orgId: string, id: string, locale: string | undefined, values: Record<string, string>): Promise<Rendered> {
      const t = model(await row(db, orgId, id));
      try {
        return renderTemplate(t, locale, valueMap(values));
      } catch (err) {
        if (!(err instanceof MissingValues)) throw err;
        throw new AppError(
          400,
          'bad.request',
          err.message,
          err.keys.map((k) => ({ errorCode: 'missing.value', fieldName: 'values', entityName: k })),
        );
      }
    },
  };
}
