import type { Clock } from '../clock.js';
import type { Db, Executor, OutboundConfigurationsTable } from '../db/schema.js';
import type { SenderDomainsService } from '../domains/sender-domains.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { domainOf } from '../mail/address.js';
import type { QueuesService } from '../queues/queues.service.js';
import { checkParty } from '../send/draft.js';
import type { TemplatesService } from '../templates/templates.service.js';
import * as repo from './configurations.repo.js';

export interface ConfigurationInput {
  name: string;
  channelType: 'email';
  fromAddress: { email: string; name?: string };
  templateId: string;
  showInTimeline: boolean;
  conversationRecord: 'onSend' | 'onResponse';
  queueId?: string | null;
}

export interface ConfigurationView extends ConfigurationInput {
  id: string;
  dateCreated: string;
  dateModified: string;
  selfUri: string;
}

export const configurationView = (r: OutboundConfigurationsTable): ConfigurationView => ({
  id: r.id,
  name: r.name,
  channelType: 'email',
  fromAddress: r.from_name ? { email: r.from_email, name: r.from_name } : { email: r.from_email },
  templateId: r.template_id,
  showInTimeline: r.show_in_timeline === 1,
  conversationRecord: r.conversation_record as ConfigurationInput['conversationRecord'],
  ...(r.queue_id ? { queueId: r.queue_id } : {}),
  dateCreated: new Date(Number(r.created_at)).toISOString(),
  dateModified: new Date(Number(r.updated_at)).toISOString(),
  selfUri: `/api/v2/outbound/configurations/${r.id}`,
});

/** A 404 of a referenced thing, as the 400 of the field that names it. */
async function mustExist(field: string, what: string, load: () => Promise<unknown>): Promise<void> {
  try {
    await load();
  } catch (err) {
    if (err instanceof AppError && err.status === 404) throw badRequest(field, `${field}: ${what} does not exist in this organization.`, 'reference.not.found');
    throw err;
  }
}

export type ConfigurationsService = ReturnType<typeof createConfigurationsService>;

export function createConfigurationsService(deps: {
  db: Db;
  clock: Clock;
  templates: Pick<TemplatesService, 'get'>;
  queues: Pick<QueuesService, 'get'>;
  senderDomains: Pick<SenderDomainsService, 'getSenderDomain'>;
}) {
  const { db, clock } = deps;

  /** The row's fields from the input, once every reference is checked to be the organization's. */
  async function fields(orgId: string, input: ConfigurationInput) {
    const from = checkParty('fromAddress', input.fromAddress);
    const domain = domainOf(from.email);
    // At save time the domain must be the organization's; whether it is verified is checked at
    // every send (assertCanSendFrom), since that can change after saving.
    await mustExist('fromAddress.email', `the sender domain ${domain}`, () => deps.senderDomains.getSenderDomain(orgId, domain));
    await mustExist('templateId', `template ${input.templateId}`, () => deps.templates.get(orgId, input.templateId));
    if (input.queueId) await mustExist('queueId', `queue ${input.queueId}`, () => deps.queues.get(orgId, input.queueId!));
    return {
      name: input.name,
      channel_type: input.channelType,
      from_email: from.email,
      from_name: from.name,
      template_id: input.templateId,
      show_in_timeline: input.showInTimeline ? 1 : 0,
      conversation_record: input.conversationRecord,
      queue_id: input.queueId ?? null,
      updated_at: clock.now(),
    };
  }

  async function row(ex: Executor, orgId: string, id: string) {
    const r = await repo.findConfiguration(ex, orgId, id);
    if (!r) throw notFound(`Outbound configuration ${id}`);
    return r;
  }

  return {
    async create(orgId: string, input: ConfigurationInput): Promise<ConfigurationView> {
      const f = await fields(orgId, input);
      const r: OutboundConfigurationsTable = { id: newId(f.updated_at), org_id: orgId, created_at: f.updated_at, ...f };
      await repo.insertConfiguration(db, r);
      return configurationView(r);
    },
    list: async (orgId: string) => (await repo.listConfigurations(db, orgId)).map(configurationView),
    get: async (orgId: string, id: string) => configurationView(await row(db, orgId, id)),
    async update(orgId: string, id: string, input: ConfigurationInput): Promise<ConfigurationView> {
      await row(db, orgId, id);
      await repo.updateConfiguration(db, orgId, id, await fields(orgId, input));
      return configurationView(await row(db, orgId, id));
    },
    async remove(orgId: string, id: string): Promise<void> {
      const r = await repo.deleteConfiguration(db, orgId, id);
      if (Number(r.numDeletedRows) === 0) throw notFound(`Outbound configuration ${id}`);
    },
    /** The configuration as an invocation's transaction sees it. */
    row,
    /** The configurations that use a template (a template in use is not deleted). */
    usersOf: (ex: Executor, orgId: string, templateId: string) => repo.configurationsUsing(ex, orgId, templateId),
  };
}
