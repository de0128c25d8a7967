import { textOfSize } from './lib.js';
import type { ThreadlineUnderTest } from './threadline.js';

// What bench:outbound sends: a template localized in four languages whose subject and text take
// the contact's values, an outbound configuration shown on the timeline, and contacts as
// Dynamics lists them (or as the CSV's rows), spread over the locales, one of which falls back
// to the template's default.

/** About bench:send's message size, so that the two rates compare. */
const BODY_BYTES = 2048;
const LOCALES = ['fi-FI', 'en-US', 'fr-CA', 'sv-SE', 'de-DE'] as const;

async function post(tl: ThreadlineUnderTest, path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${tl.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${tl.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200 && res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  return (await res.json()) as { id: string };
}

/** `greeting` with the placeholders, padded with plain text to about BODY_BYTES. */
const body = (greeting: string) => `${greeting}\n\n${textOfSize(BODY_BYTES - greeting.length - 2)}`;

/** Creates the template and the configuration; returns the configuration's id. */
export async function createConfiguration(tl: ThreadlineUnderTest): Promise<string> {
  const template = await post(tl, '/api/v2/outbound/templates', {
    name: 'Order shipped',
    channel: 'email',
    defaultLocale: 'en',
    localizations: [
      { locale: 'en', subject: 'Order {OrderNumber} has shipped', textBody: body('Hello {CustomerName|there}, your order {OrderNumber} ({CaseName}) is on its way.') },
      { locale: 'fi', subject: 'Tilaus {OrderNumber} on lähetetty', textBody: body('Hei {CustomerName}, tilauksesi {OrderNumber} ({CaseName}) on matkalla.') },
      { locale: 'fr', subject: 'Commande {OrderNumber} expédiée', textBody: body('Bonjour {CustomerName}, votre commande {OrderNumber} ({CaseName}) est en route.') },
      { locale: 'sv', subject: 'Order {OrderNumber} har skickats', textBody: body('Hej {CustomerName}, din order {OrderNumber} ({CaseName}) är på väg.') },
    ],
  });
  const cfg = await post(tl, '/api/v2/outbound/configurations', {
    name: 'Order shipped',
    channelType: 'email',
    fromAddress: { email: `orders@${tl.senderDomain}`, name: 'Orders' },
    templateId: template.id,
    showInTimeline: true,
    conversationRecord: 'onSend',
  });
  return cfg.id;
}

/** Contact `i` as an invocation lists it. */
export const contact = (i: number) => ({
  tocontactid: `customer-${i}@example.com`,
  channelid: 'email',
  optin: true,
  locale: LOCALES[i % LOCALES.length],
  CustomerName: `Customer ${i}`,
  CaseName: `CAS-${10_000 + i}`,
  contextitems: { OrderNumber: `ORD-${i}`, regardingobjectid: `order-${i}` },
});

export const CSV_HEADER = 'tocontactid,optin,locale,CustomerName,CaseName,OrderNumber,regardingobjectid\n';

/** Contact `i` as a row of the CLI's CSV (the same values; a comma in a name is quoted). */
export function csvRow(i: number): string {
  const c = contact(i);
  return `${c.tocontactid},true,${c.locale},"Customer, ${i}",${c.CaseName},${c.contextitems.OrderNumber},${c.contextitems.regardingobjectid}\n`;
}
